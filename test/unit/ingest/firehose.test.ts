/**
 * The retry and partial-delivery logic of the Firehose writer, against a stub client: this is the unit that
 * decides which envelopes are still owed, not the service (the integration tests use the emulator).
 */
import type { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import {
  chunkRecords,
  makeFirehoseArchive,
  PartialDelivery,
  retryPauseMs,
} from '../../../ingest/archive/firehose.ts';
import { parseArchiveLine, type RawEnvelope } from '../../../ingest/archive/envelope.ts';
import { envelope } from './helpers.ts';

const MINUTE = Date.UTC(2030, 0, 1);
const MiB = 1024 * 1024;

const records = (sizes: number[]) => sizes.map((n, i) => ({ i, data: Buffer.alloc(n) }));
const shape = (chunks: { i: number }[][]) => chunks.map((c) => c.map((r) => r.i));

describe('chunkRecords', () => {
  it('puts at most 500 records in a batch', () => {
    const chunks = chunkRecords(records(Array.from({ length: 1001 }, () => 10)));
    expect(chunks.map((c) => c.length)).toEqual([500, 500, 1]);
    expect(chunks.flat().map((r) => r.i)).toEqual(Array.from({ length: 1001 }, (_, i) => i));
  });

  it('keeps a batch within 4 MiB, exactly 4 MiB allowed', () => {
    expect(shape(chunkRecords(records([2 * MiB, 2 * MiB, 1])))).toEqual([[0, 1], [2]]);
    expect(shape(chunkRecords(records([3 * MiB, MiB + 1, MiB])))).toEqual([[0], [1, 2]]);
  });

  it('sends a record larger than a batch alone rather than dropping it, and nothing for nothing', () => {
    expect(shape(chunkRecords(records([10, 5 * MiB, 10])))).toEqual([[0], [1], [2]]);
    expect(chunkRecords([])).toEqual([]);
  });
});

type Reply = { FailedPutCount: number; RequestResponses: { ErrorCode?: string; RecordId?: string }[] };
/** What the stub answers to call n: a reply, or an error to throw. */
type Script = (call: number, sent: RawEnvelope[]) => Reply | Error;

/** A stub Firehose client that records the envelopes of every PutRecordBatch and answers as `script` says. */
function stubFirehose(script: Script) {
  const calls: RawEnvelope[][] = [];
  const client = {
    async send(cmd: PutRecordBatchCommand) {
      const sent = (cmd.input.Records ?? []).map((r) => {
        const text = Buffer.from(r.Data!).toString('utf8');
        expect(text.endsWith('\n')).toBe(true);
        const p = parseArchiveLine(text);
        if (!p.ok) throw new Error(p.error);
        return p.envelope;
      });
      expect(cmd.input.DeliveryStreamName).toBe('raw');
      calls.push(sent);
      const r = script(calls.length, sent);
      if (r instanceof Error) throw r;
      return r;
    },
  };
  return { firehose: client as unknown as FirehoseClient, calls };
}

const ok = (n: number): Reply => ({
  FailedPutCount: 0,
  RequestResponses: Array.from({ length: n }, (_, i) => ({ RecordId: `r${i}` })),
});
/** A reply failing the records at `failed` positions. */
const failing = (n: number, failed: number[]): Reply => ({
  FailedPutCount: failed.length,
  RequestResponses: Array.from({ length: n }, (_, i) =>
    failed.includes(i) ? { ErrorCode: 'ServiceUnavailableException' } : { RecordId: `r${i}` },
  ),
});

/** A clock that records the pauses asked of it instead of taking them. */
function pausesClock() {
  const pauses: number[] = [];
  return { pauses, clock: { sleep: async (ms: number) => void pauses.push(ms) } };
}

// The body set as is, not encoded: the big ones only exercise batching (encodeBody would keep them base64).
const envs = (n: number, body = '{}') =>
  Array.from({ length: n }, (_, i) => ({ ...envelope('coinbase', MINUTE + i * 60_000), body }));
const ids = (es: RawEnvelope[]) => es.map((e) => e.id);

describe('makeFirehoseArchive', () => {
  it('sends every envelope once as one newline-terminated record', async () => {
    const { firehose, calls } = stubFirehose((_, sent) => ok(sent.length));
    const batch = envs(3);
    await makeFirehoseArchive({ firehose, stream: 'raw' }).put(batch);
    expect(calls.map(ids)).toEqual([ids(batch)]);
    expect(calls[0]).toEqual(batch);
  });

  it('retries only the records Firehose reports as failed, pausing longer each time', async () => {
    const batch = envs(5);
    const { firehose, calls } = stubFirehose((call, sent) =>
      call === 1 ? failing(5, [1, 3]) : call === 2 ? failing(2, [1]) : ok(sent.length),
    );
    const { pauses, clock } = pausesClock();
    await makeFirehoseArchive({ firehose, stream: 'raw', clock, random: () => 0.999 }).put(batch);
    expect(calls.map(ids)).toEqual([ids(batch), ids([batch[1]!, batch[3]!]), ids([batch[3]!])]);
    expect(pauses.map(Math.round)).toEqual([100, 200]);
  });

  it('pauses 100 ms doubling up to 1 s, at least half of it, the rest random', () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => retryPauseMs(a, 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 5].map((a) => retryPauseMs(a, 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('gives up after its retries with PartialDelivery holding exactly the records still failing', async () => {
    const batch = envs(4);
    const { firehose, calls } = stubFirehose((call, sent) =>
      call === 1 ? failing(4, [0, 2]) : failing(sent.length, [sent.length - 1]),
    );
    const { pauses, clock } = pausesClock();
    const err = await makeFirehoseArchive({ firehose, stream: 'raw', retries: 2, clock })
      .put(batch)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialDelivery);
    expect(ids((err as PartialDelivery<RawEnvelope[]>).remaining)).toEqual(ids([batch[2]!]));
    expect((err as Error).message).toMatch(/ServiceUnavailableException/);
    expect(calls).toHaveLength(3); // the first try and two retries
    expect(pauses).toHaveLength(2); // before each retry, none after giving up
  });

  it('a failure in a later batch owes only that batch and the ones after it', async () => {
    // Records of ~1.5 MiB: two per 4 MiB batch, so five make three batches.
    const big = envs(5, 'x'.repeat(1.5 * MiB));
    const { firehose, calls } = stubFirehose((call, sent) =>
      call === 2 ? new Error('connect ECONNREFUSED 127.0.0.1:4566') : ok(sent.length),
    );
    const err = await makeFirehoseArchive({ firehose, stream: 'raw' })
      .put(big)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartialDelivery);
    expect(calls.map((c) => c.length)).toEqual([2, 2]);
    expect(ids((err as PartialDelivery<RawEnvelope[]>).remaining)).toEqual(ids(big.slice(2)));
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('a batch that keeps failing in the middle owes itself and the later batches, not the earlier', async () => {
    const big = envs(6, 'y'.repeat(1.5 * MiB));
    const { firehose } = stubFirehose((call, sent) =>
      call === 1 ? ok(sent.length) : failing(sent.length, [0]),
    );
    const err = await makeFirehoseArchive({ firehose, stream: 'raw', retries: 1, clock: pausesClock().clock })
      .put(big)
      .catch((e: unknown) => e);
    expect(ids((err as PartialDelivery<RawEnvelope[]>).remaining)).toEqual(ids([big[2]!, ...big.slice(4)]));
  });

  it('re-sends records a failed call gave no answer for, rather than taking them for delivered', async () => {
    const batch = envs(2);
    const { firehose, calls } = stubFirehose((call, sent) =>
      call === 1 ? { FailedPutCount: 2, RequestResponses: [] } : ok(sent.length),
    );
    await makeFirehoseArchive({ firehose, stream: 'raw', clock: pausesClock().clock }).put(batch);
    expect(calls.map(ids)).toEqual([ids(batch), ids(batch)]);
  });
});
