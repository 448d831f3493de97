/**
 * The durable emulator (stack/moto_archive.py) on a port and folder of its own: every object stored, by PutObject,
 * by a copy or by a Firehose delivery, is a file under its original key the moment the call returns; a delete
 * removes it; after a SIGKILL the emulator loads the folder back, byte for byte, with the same last-modified times,
 * and its delivery streams as they were created (a deleted one stays gone). It prints its own lines only, not one
 * per request.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  PutRecordBatchCommand,
} from '@aws-sdk/client-firehose';
import { afterAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeFirehose } from '../../common/firehose.ts';
import { installMoto, startMoto } from '../../stack/moto.ts';
import { stopManaged, type Managed } from '../../stack/process.ts';
import { testConfig, TEST_PORT_OFFSET } from './stack-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const port = 15566 + TEST_PORT_OFFSET;
const config = testConfig({
  MOTO_PORT: String(port),
  AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
  RAW_BUCKET: 'archive-hook',
});
mkdirSync(resolve(ROOT, '.stack', 'test'), { recursive: true });
const dataDir = mkdtempSync(resolve(ROOT, '.stack', 'test', 'moto-archive-'));
let moto: Managed | null = null;
const printed: string[] = [];

const start = async () =>
  (moto = await startMoto({
    python: await installMoto(resolve(ROOT, '.stack'), () => {}),
    host: '127.0.0.1',
    port,
    dataDir,
    name: 'moto-archive',
    out: (line) => printed.push(line),
  }));

afterAll(async () => {
  if (moto) await stopManaged(moto);
  rmSync(dataDir, { recursive: true, force: true });
});

type Listed = Map<string, { sha: string; modified: number }>;
async function listBucket(s3: S3Client): Promise<Listed> {
  const out: Listed = new Map();
  const page = await s3.send(new ListObjectsV2Command({ Bucket: config.RAW_BUCKET }));
  for (const o of page.Contents ?? []) {
    const obj = await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key }));
    const body = Buffer.from(await obj.Body!.transformToByteArray());
    out.set(o.Key!, { sha: sha(body), modified: o.LastModified!.getTime() });
  }
  return out;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const file = (key: string) => resolve(dataDir, config.RAW_BUCKET, key);

describe('the durable emulator', () => {
  it('writes objects through to its folder and loads them back after a SIGKILL', async () => {
    await start();
    const status = await fetch(`http://127.0.0.1:${port}/moto-api/archive`);
    expect(await status.json()).toEqual({ durable: true, dataDir });

    const s3 = makeS3(config);
    const firehose = makeFirehose(config);
    const Bucket = config.RAW_BUCKET;
    await s3.send(new CreateBucketCommand({ Bucket }));
    const binary = Buffer.from([0, 255, 10, 13, 0x80, 0x7f]);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'raw/2031/01/01/00/a', Body: binary }));
    // Written through before the call returned: no waiting.
    expect(readFileSync(file('raw/2031/01/01/00/a'))).toEqual(binary);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'odd/../x//y', Body: 'odd key' }));
    await s3.send(
      new CopyObjectCommand({ Bucket, Key: 'copies/a', CopySource: `${Bucket}/raw/2031/01/01/00/a` }),
    );
    expect(readFileSync(file('copies/a'))).toEqual(binary);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'gone/soon', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'gone/soon' }));
    expect(existsSync(file('gone/soon'))).toBe(false);

    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'archive-hook',
        ExtendedS3DestinationConfiguration: {
          RoleARN: config.FIREHOSE_ROLE_ARN,
          BucketARN: `arn:aws:s3:::${Bucket}`,
          Prefix: 'fh/',
        },
      }),
    );
    const put = (name: string, text: string) =>
      firehose.send(
        new PutRecordBatchCommand({ DeliveryStreamName: name, Records: [{ Data: Buffer.from(text) }] }),
      );
    await put('archive-hook', 'one\ntwo\n');
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'short-lived',
        ExtendedS3DestinationConfiguration: {
          RoleARN: config.FIREHOSE_ROLE_ARN,
          BucketARN: `arn:aws:s3:::${Bucket}`,
        },
      }),
    );
    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'short-lived' }));
    const before = await listBucket(s3);
    const delivered = [...before.keys()].filter((k) => k.startsWith('fh/'));
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.map((k) => readFileSync(file(k), 'utf8')).join('')).toBe('one\ntwo\n');
    expect([...before.keys()].sort()).toEqual(
      ['copies/a', 'odd/../x//y', 'raw/2031/01/01/00/a', ...delivered].sort(),
    );

    moto!.child.kill('SIGKILL');
    await moto!.exited;
    await start();
    expect(await listBucket(s3)).toEqual(before);
    // The stream is back as it was created, and delivers into the same prefix; the deleted one stays gone.
    const { DeliveryStreamDescription: d } = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'archive-hook' }),
    );
    expect(d?.Destinations?.[0]?.ExtendedS3DestinationDescription?.Prefix).toBe('fh/');
    await put('archive-hook', 'three\n');
    const after = [...(await listBucket(s3)).keys()].filter((k) => k.startsWith('fh/') && !before.has(k));
    expect(after.map((k) => readFileSync(file(k), 'utf8'))).toEqual(['three\n']);
    await expect(put('short-lived', 'x\n')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    // Dozens of S3 and Firehose requests, and two starts: what it loaded each time, and nothing per request.
    expect(printed.filter((l) => l.trim())).toEqual([
      `moto-archive| durable S3 in ${dataDir}: 0 objects and 0 delivery streams loaded`,
      `moto-archive| durable S3 in ${dataDir}: ${before.size} objects and 1 delivery stream loaded`,
    ]);
    s3.destroy();
    firehose.destroy();
  }, 60_000);
});
