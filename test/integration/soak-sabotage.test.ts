/**
 * The soak cannot pass vacuously: with the DEDUP keys of `rates` switched off, the same faults (a second poller,
 * a re-polled minute, spool re-sends) double rows, and the soak must fail with a difference that says so.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_OFFSET } from './stack-env.ts';

describe('soak', () => {
  it('fails, pointing at doubled rows, when the DEDUP keys are disabled', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'test/soak/soak.ts',
        '--minutes',
        '80',
        '--warmup',
        '10',
        '--seed',
        '3',
        '--sabotage',
        'no-dedup',
      ],
      {
        env: { ...process.env, TEST_PORT_OFFSET: String(TEST_PORT_OFFSET + 23) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, out.slice(-3000)).toBe(1);
    expect(out).toMatch(/\| rates: every served valid minute exactly once \| FAIL \|/);
    expect(out).toMatch(/- doubled: .* \(DEDUP keys missing\?\)/);
  }, 420_000);
});
