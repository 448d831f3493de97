/**
 * Spool housekeeping on the real stack: batches left in the spool of a poller that is gone are delivered to
 * QuestDB and S3 in order; the spool of a live poller is left to that poller.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeLogger } from '../../common/log.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeEnvelopes } from '../../ingest/archive/envelope.ts';
import { makeSpool } from '../../ingest/spool.ts';
import { drainOrphanedSpools } from '../../jobs/spool-housekeeping.ts';
import { archivedEnvelopes, ownRange } from './ingest-support.ts';
import { testConfig, waitFor } from './stack-env.ts';

const base = mkdtempSync(join(tmpdir(), 'spools-'));
const config = testConfig({ SPOOL_DIR: base });
const db = makeDb(config, 1);
const s3 = makeS3(config);
const firehose = makeFirehose(config);
const live = spawn('sleep', ['60']);
afterAll(async () => {
  live.kill();
  await db.end();
  s3.destroy();
  firehose.destroy();
});

describe('spool housekeeping', () => {
  it("delivers a gone poller's spooled batches and leaves a live poller's spool alone", async () => {
    const { from, to } = ownRange(3);
    const rate = (i: number, source: 'blockchain' | 'coinbase') => ({
      ts: from + i * 60_000,
      source,
      currency: 'USD',
      rate: 100 + i,
      quoteTs: null,
    });
    const envelope = (i: number, source: 'blockchain' | 'coinbase') =>
      makeEnvelopes({
        source,
        url: 'http://127.0.0.1/x',
        minute: from + i * 60_000,
        poller: 'gone',
        attempts: [
          {
            attempt: 1,
            fetchedAt: from + i * 60_000 + 500,
            latencyMs: 5,
            status: 200,
            headers: {},
            body: Buffer.from(`{"i":${i}}`),
            bodyTruncated: false,
            error: null,
          },
        ],
      });

    // A poller that is gone: its spool holds two archive batches and two store batches.
    const gone = makeSpool({ dir: join(base, 'gone'), maxBytes: 10_000_000 });
    for (const i of [0, 1]) {
      gone.append('archive', JSON.stringify(envelope(i, 'blockchain')));
      gone.append('store', JSON.stringify({ rates: [rate(i, 'blockchain')] }));
    }
    gone.close();
    // A live poller (another process holds the lock): not ours to drain.
    const busy = makeSpool({ dir: join(base, 'busy'), maxBytes: 10_000_000 });
    busy.append('store', JSON.stringify({ rates: [rate(2, 'coinbase')] }));
    busy.close();
    writeFileSync(join(base, 'busy', 'owner.pid'), String(live.pid));

    const ilp = await makeIlp(config);
    const r = await drainOrphanedSpools({ config, ilp, firehose, log: makeLogger('housekeeping', 'silent') });
    await ilp.close();
    expect(r).toEqual({ delivered: 4, orphans: ['gone'], busy: ['busy'] });

    const iso = (ms: number) => new Date(ms).toISOString();
    await waitFor(
      async () =>
        (await db.query(`SELECT ts FROM rates WHERE ts >= $1 AND ts < $2`, [iso(from), iso(to)])).length ===
        2,
      20_000,
      'spooled rates',
    );
    const rows = await db.query<{ source: string; rate: number }>(
      `SELECT source, rate FROM rates WHERE ts >= $1 AND ts < $2 ORDER BY ts`,
      [iso(from), iso(to)],
    );
    expect(rows).toEqual([
      { source: 'blockchain', rate: 100 },
      { source: 'blockchain', rate: 101 },
    ]);
    const { envelopes, duplicateIds } = await archivedEnvelopes(s3, config, from, to);
    expect(duplicateIds).toEqual([]);
    expect(envelopes.map((e) => e.body).sort()).toEqual(['{"i":0}', '{"i":1}']);
    const again = makeSpool({ dir: join(base, 'gone'), maxBytes: 10_000_000 });
    expect(again.stats().bytes).toBe(0);
    again.close();
  });
});
