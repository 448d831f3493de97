/**
 * The raw archive in S3 as an `ArchiveStore`. Kept out of reader.ts so that reading and normalizing do not load the
 * AWS SDK: the replay worker imports this module only when it first asks S3 itself (see worker.ts).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { makeS3, type AwsConfig } from '../../common/aws.ts';
import type { Config } from '../../common/config.ts';
import type { ArchiveStore } from './reader.ts';

export type OpenArchive = { store: ArchiveStore; close(): void };

/** The configured bucket's archive, over an S3 client of its own that `close` releases. */
export function openS3Archive(config: AwsConfig & Pick<Config, 'RAW_BUCKET'>): OpenArchive {
  const s3 = makeS3(config);
  return { store: makeS3ArchiveStore(s3, config.RAW_BUCKET), close: () => s3.destroy() };
}

export function makeS3ArchiveStore(s3: S3Client, bucket: string): ArchiveStore {
  return {
    async *list(prefix, startAfter) {
      const page = (token?: string) =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            StartAfter: startAfter,
            ContinuationToken: token,
          }),
        );
      // One page requested ahead: a page is a round trip, and its 1,000 keys are quickly handed on.
      let pending = page();
      for (;;) {
        const res = await pending;
        const token = res.NextContinuationToken;
        if (token) {
          pending = page(token);
          pending.catch(() => {}); // awaited on the next turn; a reader that stops early never asks for it
        }
        yield (res.Contents ?? []).flatMap((o) => (o.Key ? [{ key: o.Key, size: o.Size ?? 0 }] : []));
        if (!token) return;
      }
    },
    async open(key) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      return res.Body as AsyncIterable<Uint8Array>;
    },
  };
}
