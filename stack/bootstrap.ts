/** `npm run bootstrap`: create the raw bucket and the Firehose stream writing to it if missing. */
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { asAwsError, makeS3 } from '../common/aws.ts';
import { isMain, parseFlags, runCli, usageExit } from '../common/cli.ts';
import { loadEnv, parseConfig, type Config } from '../common/config.ts';
import { makeFirehose } from '../common/firehose.ts';
import { makeCliLogger } from '../common/log.ts';

type BootstrapConfig = Pick<
  Config,
  | 'RAW_BUCKET'
  | 'RAW_PREFIX'
  | 'FIREHOSE_STREAM'
  | 'FIREHOSE_ROLE_ARN'
  | 'FIREHOSE_BUFFER_SECONDS'
  | 'AWS_REGION'
>;

/** Create the bucket and the delivery stream if missing; returns what was created. */
export async function runBootstrap(
  deps: { s3: S3Client; firehose: FirehoseClient },
  config: BootstrapConfig,
): Promise<{ bucketCreated: boolean; streamCreated: boolean }> {
  let bucketCreated = false;
  try {
    await deps.s3.send(new HeadBucketCommand({ Bucket: config.RAW_BUCKET }));
  } catch {
    await deps.s3.send(
      new CreateBucketCommand({
        Bucket: config.RAW_BUCKET,
        ...(config.AWS_REGION !== 'us-east-1'
          ? { CreateBucketConfiguration: { LocationConstraint: config.AWS_REGION as never } }
          : {}),
      }),
    );
    bucketCreated = true;
  }
  let streamCreated = false;
  const stream = { DeliveryStreamName: config.FIREHOSE_STREAM };
  try {
    await deps.firehose.send(new DescribeDeliveryStreamCommand(stream));
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
    await deps.firehose.send(
      new CreateDeliveryStreamCommand({
        ...stream,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: `arn:aws:s3:::${config.RAW_BUCKET}`,
          RoleARN: config.FIREHOSE_ROLE_ARN,
          // With a plain prefix Firehose appends YYYY/MM/DD/HH/ (UTC) itself.
          Prefix: config.RAW_PREFIX,
          ErrorOutputPrefix: `errors/${config.RAW_PREFIX}`,
          // A minute of every source is a few kB, far below 5 MB: the interval decides an object's span.
          BufferingHints: { IntervalInSeconds: config.FIREHOSE_BUFFER_SECONDS, SizeInMBs: 5 },
          CompressionFormat: 'UNCOMPRESSED',
        },
      }),
    );
    streamCreated = true;
  }
  // Real Firehose takes a while to become ACTIVE; the emulator is ACTIVE at once.
  for (let i = 0; i < 120; i++) {
    const d = await deps.firehose.send(new DescribeDeliveryStreamCommand(stream));
    if (d.DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 5_000));
  }
  return { bucketCreated, streamCreated };
}

/** `runBootstrap` with clients of its own; S3 or Firehose not reached becomes `S3Unavailable`. */
export async function bootstrapArchive(config: Config) {
  const s3 = makeS3(config);
  const firehose = makeFirehose(config);
  try {
    return await runBootstrap({ s3, firehose }, config);
  } catch (err) {
    throw asAwsError(err, config);
  } finally {
    s3.destroy();
    firehose.destroy();
  }
}

const USAGE = `usage: npm run bootstrap

Creates the raw bucket (RAW_BUCKET) and the Firehose delivery stream (FIREHOSE_STREAM) if they are missing;
what exists is left as it is. Exit status: 0 ok, 1 failed (S3 or Firehose not reached), 2 bad usage.`;

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args, {});
  if ('errors' in flags || flags.help)
    return usageExit({ name: 'bootstrap', help: 'npm run bootstrap -- --help', usage: USAGE }, flags);
  const config = parseConfig(loadEnv());
  const r = await bootstrapArchive(config);
  const log = makeCliLogger('bootstrap', config.LOG_LEVEL);
  log.info({ bucket: config.RAW_BUCKET, stream: config.FIREHOSE_STREAM, ...r }, 'raw archive ready');
  return 0;
}

if (isMain(import.meta.url)) runCli('bootstrap', () => main(process.argv.slice(2)));
