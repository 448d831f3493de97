/** AWS clients from configuration: S3 here, Firehose apart (firehose.ts) so S3-only readers start faster. */
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from './config.ts';

export type AwsConfig = Pick<
  Config,
  'AWS_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY'
>;

/** What every client shares: region, credentials, endpoint, timeouts and retries. */
export function clientOptions(config: AwsConfig) {
  return {
    region: config.AWS_REGION,
    maxAttempts: 2,
    // An unreachable or stalled endpoint must fail fast (the poller spools), not hang a poll.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 15_000 },
    ...(config.AWS_ACCESS_KEY_ID
      ? {
          credentials: {
            accessKeyId: config.AWS_ACCESS_KEY_ID,
            secretAccessKey: config.AWS_SECRET_ACCESS_KEY,
          },
        }
      : {}),
    ...(config.AWS_ENDPOINT_URL
      ? {
          endpoint: config.AWS_ENDPOINT_URL,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  };
}

export function makeS3(config: AwsConfig): S3Client {
  return new S3Client({ ...clientOptions(config), forcePathStyle: Boolean(config.AWS_ENDPOINT_URL) });
}

/** S3 could not be reached (refused, timed out, no credentials): the one S3 error a CLI reports as a line. */
export class S3Unavailable extends Error {
  override name = 'S3Unavailable';
}

const where = (config: AwsConfig) => `S3 at ${config.AWS_ENDPOINT_URL || `AWS (${config.AWS_REGION})`}`;

const httpStatus = (err: unknown) =>
  (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

/** An AWS error with no HTTP answer behind it (refused, timed out, no credentials) as S3Unavailable; others as they are. */
export function asAwsError(err: unknown, config: AwsConfig): unknown {
  if (err instanceof S3Unavailable || httpStatus(err) !== undefined) return err;
  return new S3Unavailable(`${where(config)} is not reachable: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/** Check that the raw bucket answers; S3Unavailable when S3 was not reached, a plain error when the bucket is missing. */
export async function checkBucket(s3: S3Client, config: AwsConfig & { RAW_BUCKET: string }): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: config.RAW_BUCKET }));
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404)
      throw new Error(`${where(config)} has no bucket ${config.RAW_BUCKET} (npm run bootstrap creates it)`);
    if (status !== undefined)
      throw new Error(`${where(config)} refused bucket ${config.RAW_BUCKET}: HTTP ${status}`);
    throw asAwsError(err, config);
  }
}
