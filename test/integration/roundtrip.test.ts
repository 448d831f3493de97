import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { afterAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { makeDb } from '../../sql/db.ts';
import { makeLogger } from '../../common/log.ts';
import { serializeEnvelope } from '../../ingest/archive/envelope.ts';
import { hourPrefix } from '../../ingest/archive/keys.ts';
import { makeDelivery } from '../../ingest/delivery.ts';
import { makeSpool } from '../../ingest/spool.ts';
import { DbUnavailable } from '../../sql/db.ts';
import { ilpRefusal, makeIlp } from '../../sql/ilp.ts';
import { envelope } from '../unit/ingest/helpers.ts';
import { testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 1);
const s3 = makeS3(config);
const firehose = makeFirehose(config);
afterAll(async () => {
  await db.end();
  s3.destroy();
  firehose.destroy();
});

describe('round trips through the real services', () => {
  it('rows written through ILP over HTTP are read back through the PG wire', async () => {
    const source = `ilp-${randomUUID().slice(0, 8)}`;
    const t0 = Date.UTC(2021, 0, 1, 23, 58);
    const ilp = await makeIlp(config);
    const written = [0, 1, 2, 3].map((i) => ({ ts: t0 + i * 60_000, rate: 30_000 + i * 1.25 }));
    await ilp.write(async (sender) => {
      for (const w of written) {
        await sender
          .table('rates')
          .symbol('source', source)
          .symbol('currency', 'EUR')
          .floatColumn('rate', w.rate)
          .timestampColumn('quote_ts', w.ts - 5_000, 'ms')
          .at(w.ts, 'ms');
      }
    });
    await ilp.close();
    await waitFor(
      async () => (await db.query(`SELECT ts FROM rates WHERE source = $1`, [source])).length === 4,
      20_000,
      'ILP rows visible',
    );
    const rows = await db.query<{ ts: Date; rate: number; quote_ts: Date }>(
      `SELECT ts, rate, quote_ts FROM rates WHERE source = $1 ORDER BY ts`,
      [source],
    );
    // Across midnight UTC, timestamps come back as the same instants (parsed as UTC, not local time).
    expect(rows.map((r) => [r.ts.getTime(), r.rate, r.quote_ts.getTime()])).toEqual(
      written.map((w) => [w.ts, w.rate, w.ts - 5_000]),
    );
  });

  it('records put through Firehose arrive unchanged in S3 under the raw/ prefix', async () => {
    // Real envelopes (of a minute no other test reads): later tests parse the whole archive and count anything
    // else as corrupt.
    const id = randomUUID();
    const before = Date.now(); // the emulator names the object by its clock: the hour may turn meanwhile
    const records = [0, 1, 2].map((i) =>
      serializeEnvelope({ ...envelope('blockchain', Date.UTC(2020, 1, 2, 0, i)), id: `${id}-${i}` }),
    );
    const res = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: config.FIREHOSE_STREAM,
        Records: records.map((r) => ({ Data: Buffer.from(r) })),
      }),
    );
    expect(res.FailedPutCount).toBe(0);
    const hours = [before, Date.now()].map((t) => hourPrefix(config.RAW_PREFIX, t));
    const found: string[] = [];
    await waitFor(
      async () => {
        const list = await s3.send(
          new ListObjectsV2Command({ Bucket: config.RAW_BUCKET, Prefix: `${config.RAW_PREFIX}` }),
        );
        found.length = 0;
        for (const o of list.Contents ?? []) {
          const body = await (
            await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key }))
          ).Body?.transformToString();
          if (body?.includes(id)) found.push(`${o.Key}\n${body}`);
        }
        return found.length > 0;
      },
      20_000,
      'object in S3',
    );
    const [key, ...rest] = (found[0] ?? '').split('\n');
    expect(hours).toContain(key?.slice(0, hours[0]!.length));
    expect(rest.join('\n')).toBe(records.join(''));
  });

  it('QuestDB refuses a value that does not fit its column (HTTP 400): set aside, and the queue goes on', async () => {
    const source = `refused-${randomUUID().slice(0, 8)}`;
    const ts = Date.UTC(2021, 0, 2, 0, 0);
    const ilp = await makeIlp(config);
    const row = (rate: number | string) =>
      ilp.write(async (s) => {
        s.table('rates').symbol('source', source).symbol('currency', 'EUR');
        if (typeof rate === 'string') s.stringColumn('rate', rate);
        else s.floatColumn('rate', rate);
        await s.at(ts, 'ms');
      });
    const refusedErr = await row('not a number').catch((e: unknown) => e);
    expect(ilpRefusal(refusedErr)).toMatch(/statusCode=400/);
    expect(refusedErr).not.toBeInstanceOf(DbUnavailable);
    // An unreachable QuestDB is not a refusal: that batch waits in the spool.
    const away = await makeIlp({ ...config, QUESTDB_HTTP_PORT: 9 }, { retryTimeoutMs: 100 });
    const awayErr = await away
      .write((s) => s.table('rates').symbol('source', source).atNow())
      .catch((e: unknown) => e);
    expect(awayErr).toBeInstanceOf(DbUnavailable);
    expect((awayErr as Error).message).toMatch(/ILP over HTTP 127\.0\.0\.1:9\) is not reachable/);
    expect(ilpRefusal(awayErr)).toBeNull();
    await away.close().catch(() => {});

    const dir = mkdtempSync(join(tmpdir(), 'refused-'));
    const spool = makeSpool({ dir, maxBytes: 1_000_000 });
    try {
      const d = makeDelivery<number | string>({
        channel: 'store',
        spool,
        send: row,
        refusal: ilpRefusal,
        log: makeLogger('refused-test', 'silent'),
      });
      expect(await d.deliver('still not a number')).toBe('refused');
      expect(await d.deliver(42.5)).toBe('sent');
      expect(spool.list('store')).toEqual([]);
      expect(readdirSync(join(dir, 'store'))).toEqual([expect.stringMatching(/\.refused$/)]);
      await waitFor(
        async () => (await db.query(`SELECT rate FROM rates WHERE source = $1`, [source])).length === 1,
        20_000,
        'the good row',
      );
      expect(await db.query(`SELECT rate FROM rates WHERE source = $1`, [source])).toEqual([{ rate: 42.5 }]);
    } finally {
      spool.close();
      rmSync(dir, { recursive: true, force: true });
      await ilp.close();
    }
  });
});
