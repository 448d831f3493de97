/**
 * Reachability of the raw archive for the health page: S3 HeadBucket and Firehose DescribeDeliveryStream with a
 * short timeout, cached for `ttlMs`; also whether the archive is durable and its objects of the last hour.
 */
import { HeadBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DescribeDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { Clock } from '../common/types.ts';
import { hourPrefix } from '../ingest/archive/keys.ts';

export type Reach = { ok: boolean; ms: number; detail: string; checkedAt: number };
/** durable: true (real S3, or the emulator writing through to a folder), false (an in-memory emulator), null
 * (unknown). lastHour: objects stored in the last hour (by wall-clock time, as S3 names and dates them). */
export type ArchiveState = { durable: boolean | null; detail: string; lastHour: number | null };
export type AwsReach = { s3: Reach; firehose: Reach; archive: ArchiveState };
export type Checks = { aws(): Promise<AwsReach> };

/** Whether objects at `endpoint` survive a restart: real S3 yes; stack/moto_archive.py says; plain moto no. */
export async function archiveDurability(endpoint: string, timeoutMs: number) {
  if (!endpoint) return { durable: true, detail: 'AWS S3' };
  const get = (path: string) =>
    fetch(`${endpoint.replace(/\/$/, '')}${path}`, { signal: AbortSignal.timeout(timeoutMs) })
      .then((res) => (res.ok ? res.json() : null))
      .catch(() => null);
  const archive = (await get('/moto-api/archive')) as { durable?: boolean; dataDir?: string } | null;
  if (archive?.durable === true)
    return { durable: true, detail: `emulator writing every object through to ${archive.dataDir ?? 'disk'}` };
  if (await get('/moto-api/data.json'))
    return { durable: false, detail: 'emulator keeping S3 in memory: the archive is lost when it stops' };
  return { durable: null, detail: `S3-compatible endpoint ${endpoint}: durability unknown` };
}

/** Objects under `prefix` stored in the hour before `now` (keys are named by their arrival hour). */
export async function objectsLastHour(
  s3: S3Client,
  bucket: string,
  prefix: string,
  now: number,
  abortSignal: AbortSignal,
): Promise<number> {
  let n = 0;
  // The hour folders that can hold objects of the last hour: the previous one and the current one.
  for (const hour of [now - 3_600_000, now]) {
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: hourPrefix(prefix, hour),
          ContinuationToken: token,
        }),
        { abortSignal },
      );
      n += (page.Contents ?? []).filter((o) => (o.LastModified?.getTime() ?? 0) > now - 3_600_000).length;
      token = page.NextContinuationToken;
    } while (token);
  }
  return n;
}

/** Checks against the configured bucket and delivery stream. */
export function makeAwsChecks(deps: {
  s3: S3Client;
  firehose: FirehoseClient;
  bucket: string;
  stream: string;
  prefix: string;
  /** AWS_ENDPOINT_URL: empty for real AWS. */
  endpoint: string;
  clock: Clock;
  ttlMs?: number;
  timeoutMs?: number;
}): Checks {
  const { s3, firehose, bucket, stream, prefix, endpoint, clock, ttlMs = 15_000, timeoutMs = 2_000 } = deps;
  let cached: { at: number; value: Promise<AwsReach> } | null = null;
  /** Time `probe` with a timeout; its answer (or error) becomes a Reach. */
  const reach = async (probe: (abortSignal: AbortSignal) => Promise<string>): Promise<Reach> => {
    const t0 = performance.now();
    const signal = AbortSignal.timeout(timeoutMs);
    let ok = true;
    let detail: string;
    try {
      detail = await probe(signal);
    } catch (err) {
      const e = err as { name?: string; message?: string };
      ok = false;
      detail = signal.aborted
        ? `no answer within ${timeoutMs} ms`
        : `${e.name ?? 'Error'}: ${e.message ?? ''}`;
    }
    return { ok, ms: performance.now() - t0, detail, checkedAt: clock.now() };
  };
  const run = async (): Promise<AwsReach> => {
    const [durability, lastHour, s3Reach, firehoseReach] = await Promise.all([
      archiveDurability(endpoint, timeoutMs),
      // Wall-clock time, not the (possibly simulated) service clock: S3 dates objects by it.
      objectsLastHour(s3, bucket, prefix, Date.now(), AbortSignal.timeout(timeoutMs * 2)).catch(() => null),
      reach(async (abortSignal) => {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
        return `bucket ${bucket}`;
      }),
      reach(async (abortSignal) => {
        const r = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }), {
          abortSignal,
        });
        return `stream ${stream}: ${r.DeliveryStreamDescription?.DeliveryStreamStatus ?? 'unknown status'}`;
      }),
    ]);
    return { s3: s3Reach, firehose: firehoseReach, archive: { ...durability, lastHour } };
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
  const archive: ArchiveState = { durable: ok, detail, lastHour: ok ? 0 : null };
  return { aws: async () => ({ s3: reach, firehose: reach, archive }) };
}
