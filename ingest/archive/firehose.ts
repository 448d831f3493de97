/**
 * The raw archive's writer: envelopes into Firehose (PutRecordBatch), delivered to S3 under raw/YYYY/MM/DD/HH/.
 * Failed records are retried after a growing pause; what still fails is thrown for the caller to spool.
 */
import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import { systemClock } from '../../common/clock.ts';
import type { Clock } from '../../common/types.ts';
import { serializeEnvelope, type RawEnvelope } from './envelope.ts';

const MAX_RECORDS = 500; // PutRecordBatch limits
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

export type Archive = { put(envelopes: RawEnvelope[]): Promise<void> };

/** Thrown when some envelopes did not reach Firehose; `remaining` are exactly those (the rest were accepted). */
export class PartialDelivery<T> extends Error {
  constructor(
    message: string,
    readonly remaining: T,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PartialDelivery';
  }
}

/** Split records into PutRecordBatch-sized groups. Pure. */
export function chunkRecords<T extends { data: Buffer }>(records: T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const r of records) {
    if (cur.length > 0 && (cur.length === MAX_RECORDS || bytes + r.data.length > MAX_BATCH_BYTES)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(r);
    bytes += r.data.length;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** The pause before retry `attempt` (from 0): 100 ms doubling up to 1 s, half of it random (`r` in [0, 1)). Pure. */
export function retryPauseMs(attempt: number, r: number): number {
  const full = Math.min(1_000, 100 * 2 ** attempt);
  return full / 2 + (full / 2) * r;
}

export function makeFirehoseArchive(deps: {
  firehose: FirehoseClient;
  stream: string;
  retries?: number;
  /** Whose time the pauses between retries take (the poller's clock). */
  clock?: Pick<Clock, 'sleep'>;
  random?: () => number;
}): Archive {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  return {
    async put(envelopes) {
      const records = envelopes.map((e) => ({ envelope: e, data: Buffer.from(serializeEnvelope(e)) }));
      const chunks = chunkRecords(records);
      for (const [c, chunk] of chunks.entries()) {
        let pending = chunk;
        const unsent = () => [...pending, ...chunks.slice(c + 1).flat()].map((r) => r.envelope);
        for (let attempt = 0; pending.length > 0; attempt++) {
          const Records = pending.map((r) => ({ Data: r.data }));
          let res;
          try {
            res = await deps.firehose.send(
              new PutRecordBatchCommand({ DeliveryStreamName: deps.stream, Records }),
            );
          } catch (err) {
            throw new PartialDelivery(`Firehose unreachable: ${(err as Error).message}`, unsent(), {
              cause: err,
            });
          }
          if (!res.FailedPutCount) break;
          // A record without an answer is owed too: a duplicate is recognizable by its id, a lost record is not.
          pending = pending.filter((_, i) => {
            const answer = res.RequestResponses?.[i];
            return !answer || answer.ErrorCode || !answer.RecordId;
          });
          if (attempt >= (deps.retries ?? 3)) {
            const code = res.RequestResponses?.find((r) => r.ErrorCode)?.ErrorCode;
            throw new PartialDelivery(
              `Firehose rejected ${pending.length} record(s) ${attempt + 1} times (${code})`,
              unsent(),
            );
          }
          await clock.sleep(retryPauseMs(attempt, random()));
        }
      }
    },
  };
}
