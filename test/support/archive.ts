/** Reading the whole raw archive back from S3, for tests and the soak: every object and every envelope in it. */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseArchiveLine, type RawEnvelope } from '../../ingest/archive/envelope.ts';

export type ArchiveContents = { objects: Map<string, Buffer>; envelopes: RawEnvelope[]; corrupt: string[] };

/** Every object under `prefix` and the envelopes it holds; lines that are not envelopes are listed, by key. */
export async function readWholeArchive(
  s3: S3Client,
  bucket: string,
  prefix: string,
): Promise<ArchiveContents> {
  const out: ArchiveContents = { objects: new Map(), envelopes: [], corrupt: [] };
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      const body = Buffer.from(await obj.Body!.transformToByteArray());
      out.objects.set(o.Key!, body);
      for (const line of body.toString('utf8').split('\n')) {
        if (!line) continue;
        const p = parseArchiveLine(line);
        if (p.ok) out.envelopes.push(p.envelope);
        else out.corrupt.push(`${o.Key}: ${p.error}`);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}
