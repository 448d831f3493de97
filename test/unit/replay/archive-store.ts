/** An in-memory raw archive for the reader's unit tests, listed and fetched as S3 would. */
import { serializeEnvelope, type RawEnvelope } from '../../../ingest/archive/envelope.ts';
import { hourPrefix } from '../../../ingest/archive/keys.ts';
import type { ArchiveStore } from '../../../ingest/archive/store.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** A Firehose-like key for an object that arrived at `arrival`. */
export function keyAt(arrival: number, tag: string): string {
  const d = new Date(arrival);
  const t = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  return `${hourPrefix('raw/', arrival)}stream-1-${t}-${tag}`;
}

/**
 * An archive held in a map, listed as S3 lists: in key order after `startAfter`, `pageSize` keys per request
 * (each request recorded by its first key). `fail` names keys whose fetch fails (S3 unreachable).
 */
export function memoryStore(
  objects: Map<string, string>,
  fail = new Set<string>(),
  pageSize = 1_000,
): ArchiveStore & { opened: string[]; pages: string[] } {
  const opened: string[] = [];
  const pages: string[] = [];
  return {
    opened,
    pages,
    async *list(prefix, startAfter) {
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > startAfter).sort();
      for (let i = 0; i < keys.length; i += pageSize) {
        pages.push(keys[i]!);
        yield keys.slice(i, i + pageSize).map((key) => ({ key, size: objects.get(key)!.length }));
      }
    },
    async open(key) {
      opened.push(key);
      if (fail.has(key)) throw new Error('connect ECONNREFUSED');
      const text = objects.get(key)!;
      return (async function* () {
        for (let i = 0; i < text.length; i += 7) yield Buffer.from(text.slice(i, i + 7));
      })();
    },
  };
}

export const body = (...envs: RawEnvelope[]) => envs.map(serializeEnvelope).join('');
