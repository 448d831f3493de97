/** The health page's archive line: durable or not (real S3, the write-through emulator, a plain one), and its count. */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { makeApp } from '../../../web/app.tsx';
import { archiveDurability, type ArchiveState, type Checks } from '../../../web/checks.ts';
import { fixedClock, makeFakeDb, sampleAnswers } from './fake-db.ts';

let server: Server | null = null;
afterEach(() => server?.close());

/** An endpoint answering 200 with `routes[path]` as JSON, 404 elsewhere. */
async function endpoint(routes: Record<string, unknown>): Promise<string> {
  server = createServer((req, res) => {
    const body = routes[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

describe('archiveDurability', () => {
  it('real S3 (no endpoint) is durable', async () => {
    expect((await archiveDurability('', 1_000)).durable).toBe(true);
  });
  it('the write-through emulator is durable and names its folder', async () => {
    const url = await endpoint({ '/moto-api/archive': { durable: true, dataDir: '/data/s3' } });
    expect(await archiveDurability(url, 1_000)).toEqual({
      durable: true,
      detail: 'emulator writing every object through to /data/s3',
    });
  });
  it('a plain moto server is not durable', async () => {
    const url = await endpoint({ '/moto-api/data.json': {} });
    expect((await archiveDurability(url, 1_000)).durable).toBe(false);
  });
  it('another S3-compatible endpoint is unknown', async () => {
    const url = await endpoint({});
    expect((await archiveDurability(url, 1_000)).durable).toBe(null);
  });
});

describe('the health page archive line', () => {
  const page = async (archive: ArchiveState) => {
    const reach = { ok: true, ms: 1, detail: 'x', checkedAt: 0 };
    const checks: Checks = { aws: async () => ({ s3: reach, firehose: reach, archive }) };
    const app = makeApp({
      db: makeFakeDb(sampleAnswers()).db,
      clock: fixedClock,
      checks,
      config: { QUESTDB_HOST: '127.0.0.1', QUESTDB_HTTP_PORT: 9000, QUESTDB_CONSOLE_URL: '' },
    });
    return (await app.request('/health')).text();
  };
  it('warns when the archive is in memory only', async () => {
    const html = await page({ durable: false, detail: 'emulator keeping S3 in memory', lastHour: 3 });
    expect(html).toMatch(/class="banner warn"[^>]*>\s*<strong>Raw archive NOT durable:/);
    expect(html).toContain('3 objects stored in the last hour');
  });
  it('says durable, with the count of the last hour', async () => {
    const html = await page({ durable: true, detail: 'AWS S3', lastHour: 240 });
    expect(html).toContain('Raw archive durable:');
    expect(html).not.toContain('banner warn');
    expect(html).toContain('240 objects stored in the last hour');
  });
});
