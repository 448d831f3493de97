/**
 * Reachability of the raw archive for the health page: one cheap call each to S3 (HeadBucket) and Firehose
 * (DescribeDeliveryStream), with a short timeout, the answers cached for `ttlMs` so a page refresh (or a
 * benchmark) does not become a stream of AWS calls.
 */
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { DescribeDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { Clock } from '../common/types.ts';

export type Reach = { ok: boolean; ms: number; detail: string; checkedAt: number };
export type AwsReach = { s3: Reach; firehose: Reach };
export type Checks = { aws(): Promise<AwsReach> };

/** Time `probe` with a timeout; its answer (or error) becomes a Reach. */
export async function probeReach(
  probe: (signal: AbortSignal) => Promise<string>,
  clock: Clock,
  timeoutMs: number,
): Promise<Reach> {
  const t0 = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const detail = await probe(signal);
    return { ok: true, ms: performance.now() - t0, detail, checkedAt: clock.now() };
  } catch (err) {
    const e = err as { name?: string; message?: string };
    const detail = signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : `${e.name ?? 'Error'}: ${e.message ?? ''}`;
    return { ok: false, ms: performance.now() - t0, detail, checkedAt: clock.now() };
  }
}

/** Checks against the configured bucket and delivery stream. */
export function makeAwsChecks(deps: {
  s3: S3Client;
  firehose: FirehoseClient;
  bucket: string;
  stream: string;
  clock: Clock;
  ttlMs?: number;
  timeoutMs?: number;
}): Checks {
  const { s3, firehose, bucket, stream, clock, ttlMs = 15_000, timeoutMs = 2_000 } = deps;
  let cached: { at: number; value: Promise<AwsReach> } | null = null;
  const run = async (): Promise<AwsReach> => {
    const [s3Reach, firehoseReach] = await Promise.all([
      probeReach(
        async (abortSignal) => {
          await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
          return `bucket ${bucket}`;
        },
        clock,
        timeoutMs,
      ),
      probeReach(
        async (abortSignal) => {
          const r = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }), {
            abortSignal,
          });
          return `stream ${stream}: ${r.DeliveryStreamDescription?.DeliveryStreamStatus ?? 'unknown status'}`;
        },
        clock,
        timeoutMs,
      ),
    ]);
    return { s3: s3Reach, firehose: firehoseReach };
  };
  return {
    aws() {
      if (!cached || clock.now() - cached.at >= ttlMs) cached = { at: clock.now(), value: run() };
      return cached.value;
    },
  };
}

/** For tests and for running without AWS: a fixed answer. */
export function fixedChecks(ok: boolean, detail = ok ? 'test' : 'not configured'): Checks {
  const reach: Reach = { ok, ms: 0, detail, checkedAt: 0 };
  return { aws: async () => ({ s3: reach, firehose: reach }) };
}
