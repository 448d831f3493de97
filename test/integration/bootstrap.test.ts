import { randomUUID } from 'node:crypto';
import { DeleteDeliveryStreamCommand, DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { afterAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { runBootstrap } from '../../stack/bootstrap.ts';
import { testConfig } from './stack-env.ts';

const config = testConfig();
const s3 = makeS3(config);
const firehose = makeFirehose(config);
const stream = `btc-rates-bootstrap-${randomUUID().slice(0, 8)}`;
afterAll(async () => {
  await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: stream })).catch(() => {});
  s3.destroy();
  firehose.destroy();
});

const hints = async () =>
  (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream })))
    .DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BufferingHints;

describe('bootstrap of the raw archive', () => {
  it('creates the delivery stream with the configured buffer, and leaves an existing stream as it is', async () => {
    expect(config.FIREHOSE_BUFFER_SECONDS).toBe(900); // the default: 15-minute objects
    const first = await runBootstrap(
      { s3, firehose },
      { ...config, FIREHOSE_STREAM: stream, FIREHOSE_BUFFER_SECONDS: 300 },
    );
    expect(first).toEqual({ bucketCreated: false, streamCreated: true });
    expect(await hints()).toEqual({ IntervalInSeconds: 300, SizeInMBs: 5 });

    const again = await runBootstrap({ s3, firehose }, { ...config, FIREHOSE_STREAM: stream });
    expect(again).toEqual({ bucketCreated: false, streamCreated: false });
    expect(await hints()).toEqual({ IntervalInSeconds: 300, SizeInMBs: 5 });
  });
});
