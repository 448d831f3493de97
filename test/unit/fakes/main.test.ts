import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { floorToMinute } from '../../../common/clock.ts';
import { parseConfig } from '../../../common/config.ts';
import { renderCoindesk } from '../../../fakes/formats.ts';
import type { ServedResponse } from '../../../fakes/server.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

function run(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'fakes/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output: () => text, exited };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('fake API process', () => {
  it('listens on FAKE_API_PORT with the wall clock and FAKE_SEED, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const proc = run({ FAKE_API_PORT: String(port), FAKE_SEED: '5' });
    try {
      await waitFor(() => proc.output().includes('fake rate APIs listening'), 15_000);
      const body = await (await fetch(`http://127.0.0.1:${port}/coindesk/v1/bpi/currentprice.json`)).text();
      const served = (await (
        await fetch(`http://127.0.0.1:${port}/_control/served`)
      ).json()) as ServedResponse[];
      expect(served).toHaveLength(1);
      const minute = served[0]?.minute ?? 0;
      expect(Math.abs(minute - Date.now())).toBeLessThan(120_000);
      expect(body).toBe(renderCoindesk(minute, 5));
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('"msg":"stopped"');
  }, 20_000);

  it("serves the minute of the services' clock when it runs accelerated", async () => {
    const port = await freePort();
    const speed = 60;
    const simStart = Date.UTC(2031, 2, 4, 5, 6);
    const realStart = Date.now();
    const sim = (real: number) => simStart + (real - realStart) * speed;
    const proc = run({
      FAKE_API_PORT: String(port),
      FAKE_SEED: '8',
      CLOCK_SPEED: String(speed),
      CLOCK_SIM_START: new Date(simStart).toISOString(),
      CLOCK_REAL_START: String(realStart),
    });
    try {
      await waitFor(() => proc.output().includes('fake rate APIs listening'), 15_000);
      const before = Date.now();
      const body = await (await fetch(`http://127.0.0.1:${port}/coindesk/v1/bpi/currentprice.json`)).text();
      const after = Date.now();
      const served = (await (
        await fetch(`http://127.0.0.1:${port}/_control/served`)
      ).json()) as ServedResponse[];
      const minute = served[0]?.minute ?? 0;
      expect(minute).toBeGreaterThanOrEqual(floorToMinute(sim(before)));
      expect(minute).toBeLessThanOrEqual(floorToMinute(sim(after)));
      expect(body).toBe(renderCoindesk(minute, 8));
    } finally {
      proc.child.kill('SIGTERM');
    }
    expect(await proc.exited).toBe(0);
  }, 20_000);

  it('refuses a bad FAKE_SEED with status 2', async () => {
    const proc = run({ FAKE_SEED: 'one' });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('FAKE_SEED="one"');
  }, 20_000);

  it('reads FAKE_SEED and FAKE_MAX_SERVED through the config schema, with defaults', () => {
    expect(parseConfig({})).toMatchObject({ FAKE_SEED: 1, FAKE_MAX_SERVED: 20_000 });
    expect(parseConfig({ FAKE_SEED: ' 0 ', FAKE_MAX_SERVED: '5' })).toMatchObject({
      FAKE_SEED: 0,
      FAKE_MAX_SERVED: 5,
    });
    for (const bad of ['-5', '1.5', '', 'many', '9007199254740992'])
      expect(() => parseConfig({ FAKE_MAX_SERVED: bad }), bad).toThrow(/FAKE_MAX_SERVED=/);
  });
});
