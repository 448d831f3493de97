/**
 * AWS clients from configuration: S3 here, Firehose in firehose.ts (kept apart so that what reads S3 only, such
 * as the replay worker, does not load the Firehose client: 30-60 ms of its start). With AWS_ENDPOINT_URL set (the
 * local emulator) they use it with path-style S3 and only the checksums the service requires; with it empty the
 * same code talks to real AWS.
 */
import { S3Client } from '@aws-sdk/client-s3';
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
    ...(config.AWS_ENDPOINT_URL ? { endpoint: config.AWS_ENDPOINT_URL } : {}),
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
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
  };
}

export function makeS3(config: AwsConfig): S3Client {
  return new S3Client({ ...clientOptions(config), forcePathStyle: Boolean(config.AWS_ENDPOINT_URL) });
}
