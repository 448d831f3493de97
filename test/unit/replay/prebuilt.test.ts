/**
 * Rows a replay's worker builds for the writer (prebuilt.ts), sent by `Ilp.send`, are byte for byte the request
 * the writer's own Sender sends for the same cut with nothing stored. The requests are caught by a local HTTP
 * endpoint standing in for QuestDB's /write: what is compared is the encoding, not the database.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRows } from '../../../ingest/ilp-rows.ts';
import { makeReplayNormalizer, type MinuteOutput } from '../../../ingest/replay/normalizer.ts';
import { makeCutBuilder } from '../../../ingest/replay/prebuilt.ts';
import { selectRows } from '../../../ingest/replay/writer.ts';
import { ilpConfString, makeIlp, type Ilp } from '../../../sql/ilp.ts';
import { renderBlockchain } from '../../../fakes/formats.ts';
import { envelope } from '../ingest/helpers.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 4, 6, 7, 0);
let server: Server;
let ilp: Ilp;
const bodies: Buffer[] = [];
let conf = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const config = { QUESTDB_HOST: '127.0.0.1', QUESTDB_HTTP_PORT: (server.address() as AddressInfo).port };
  conf = ilpConfString(config);
  ilp = await makeIlp(config);
});
afterAll(async () => {
  await ilp.close();
  await new Promise((r) => server.close(r));
});

/** The request body of one write. */
async function sent(write: () => Promise<void>): Promise<Buffer> {
  const before = bodies.length;
  await write();
  expect(bodies).toHaveLength(before + 1);
  return bodies.at(-1)!;
}

const NOTHING_STORED = { rates: new Set<string>(), polls: new Set<string>() };
/** What the writer sends for a cut with nothing stored (replay.ts: selectRows, then the store's buildRows). */
const writers = (outs: MinuteOutput[]) =>
  sent(() => ilp.write((s) => buildRows(s, selectRows(outs, NOTHING_STORED, { force: false }).batch)));

/** Normalized minutes of two sources, with first-seen currencies, polls and a quote time or not. */
function cut(n: number, offset = 0): MinuteOutput[] {
  const normalizer = makeReplayNormalizer({ previous: {}, firstSeen: new Map() });
  return Array.from({ length: n }, (_, i) => {
    const minute = T + (offset + i) * MIN;
    const body = renderBlockchain(minute, 3, { codes: ['USD', 'EUR', 'JPY'] });
    return normalizer.normalizeMinute(minute, [
      envelope('blockchain', minute, { body }),
      envelope('blockchain', minute, { body, attempt: 2 }),
    ]);
  });
}

describe('rows built for the writer', () => {
  it('are the bytes the writer would build, rates, polls and currencies alike', async () => {
    const outs = cut(5);
    expect(outs.some((o) => o.currencies.length > 0)).toBe(true);
    expect(outs.flatMap((o) => o.polls)).toHaveLength(10);
    const built = await makeCutBuilder(conf).build(outs);
    const expected = await writers(outs);
    expect(built).not.toBeNull();
    expect((await sent(() => ilp.send(built!))).equals(expected)).toBe(true);
    expect(expected.toString('latin1')).toMatch(/^rates,source=blockchain,currency=USD rate==/);
    expect(expected.toString('latin1')).toContain('\npolls,source=blockchain,poller=test ');
    expect(expected.toString('latin1')).toContain('\ncurrencies,code=');
  });

  it('start afresh for each cut, in a buffer of their own that can be transferred', async () => {
    const builder = makeCutBuilder(conf);
    await builder.warm();
    const [a, b] = [cut(2), cut(3, 2)];
    const first = await builder.build(a);
    const second = await builder.build(b);
    expect(Buffer.from(second!).equals(await writers(b))).toBe(true);
    expect(Buffer.from(first!).equals(await writers(a))).toBe(true);
    for (const b of [first!, second!]) {
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(b.byteLength);
    }
  });

  it('give null for a cut without rows', async () => {
    expect(await makeCutBuilder(conf).build([])).toBeNull();
  });
});
