/** The raw archive read back for a replay: keys under a prefix in key order, page by page, and streamed bodies. */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { makeS3, type AwsConfig } from '../../common/aws.ts';
import type { Config } from '../../common/config.ts';

export type Listed = { key: string; size: number };

export type ArchiveStore = {
  /** The keys under `prefix` that sort after `startAfter`, in key order (as S3 lists a general purpose bucket). */
  list(prefix: string, startAfter: string): AsyncIterable<Listed[]>;
  open(key: string): Promise<AsyncIterable<Uint8Array>>;
};

export type OpenArchive = { store: ArchiveStore; close(): void };

/** The configured bucket's archive over an S3 client of its own, which `close` releases. */
export function openS3Archive(config: AwsConfig & Pick<Config, 'RAW_BUCKET'>): OpenArchive {
  const s3 = makeS3(config);
  return { store: makeS3ArchiveStore(s3, config.RAW_BUCKET), close: () => s3.destroy() };
}

export function makeS3ArchiveStore(s3: S3Client, bucket: string): ArchiveStore {
  return {
    async *list(prefix, startAfter) {
      let token: string | undefined;
      do {
        const res = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            StartAfter: startAfter,
            ContinuationToken: token,
          }),
        );
        yield (res.Contents ?? []).flatMap((o) => (o.Key ? [{ key: o.Key, size: o.Size ?? 0 }] : []));
        token = res.NextContinuationToken;
      } while (token);
    },
    async open(key) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
      return res.Body as AsyncIterable<Uint8Array>;
    },
  };
}
