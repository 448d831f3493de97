/**
 * Reading the raw archive back: the objects of an arrival window in arrival order, listed in one pass over the
 * hour folders (from the first hour of the window until a key of a later hour appears), several fetched at once
 * but handed out in order, each streamed line by line into the envelopes a replay wants. A line that is not an
 * envelope is reported with its object's key and line number and skipped; a failure to list or fetch (S3
 * unreachable) throws, so a replay stops where it was instead of passing over data.
 */
import { parseEnvelope, type RawEnvelope } from '../archive/envelope.ts';
import { arrivalDeadline, arrivalOf, hourOfKey, hourPrefix, minuteHint } from './keys.ts';
import { maybeGunzip, splitLines } from './lines.ts';

export type Listed = { key: string; size: number };

/** The archive as the reader needs it: S3 (s3-store.ts), or an in-memory double in tests. */
export type ArchiveStore = {
  /**
   * The keys under `prefix` that sort after `startAfter`, in key order (as S3 lists a general purpose bucket), a
   * page at a time; the reader stops iterating once it is past its window, which stops the listing.
   */
  list(prefix: string, startAfter: string): AsyncIterable<Listed[]>;
  /** The object's body as it streams in. */
  open(key: string): Promise<AsyncIterable<Uint8Array>>;
};

export type BadLine = { line: number; error: string };

export type ArchiveObject = {
  key: string;
  arrival: number;
  bytes: number;
  /** Envelopes of wanted minutes that arrived by their deadline, in file order. */
  envelopes: RawEnvelope[];
  /** Envelopes of wanted minutes that arrived after their deadline (left out). */
  late: number;
  bad: BadLine[];
};

export type ReadOptions = {
  prefix: string;
  /** Arrival window to list, epoch ms [from, to). */
  arrival: { from: number; to: number };
  /** Minutes wanted, [from, to). */
  from: number;
  to: number;
  slackMs: number;
  /** Further filter (sources, or the exact minutes a gap repair looks for). */
  want?: (e: RawEnvelope) => boolean;
  /** Objects fetched at once. */
  concurrency: number;
};

/** Read one object into the envelopes wanted. Body errors of a corrupt gzip count as bad lines. */
async function readObject(
  store: ArchiveStore,
  o: { key: string; size: number; arrival: number },
  opts: ReadOptions,
): Promise<ArchiveObject> {
  const out: ArchiveObject = {
    key: o.key,
    arrival: o.arrival,
    bytes: o.size,
    envelopes: [],
    late: 0,
    bad: [],
  };
  const inRange = (m: number) => m >= opts.from && m < opts.to;
  const body = await store.open(o.key);
  let n = 0;
  try {
    for await (const line of splitLines(maybeGunzip(body))) {
      n++;
      if (!line.trim()) continue;
      const hint = minuteHint(line);
      if (hint !== null && !inRange(hint)) continue;
      const p = parseEnvelope(line);
      if (!p.ok) {
        out.bad.push({ line: n, error: p.error });
        continue;
      }
      const minute = Date.parse(p.envelope.minute);
      if (!inRange(minute) || (opts.want && !opts.want(p.envelope))) continue;
      if (o.arrival > arrivalDeadline(minute, opts.slackMs)) out.late++;
      else out.envelopes.push(p.envelope);
    }
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!code.startsWith('Z_')) throw err;
    out.bad.push({ line: n + 1, error: `corrupt gzip: ${(err as Error).message}` });
  }
  return out;
}

const HOUR_MS = 3_600_000;

/** An object to read: its listing, and its arrival time as its key tells it. */
export type Planned = Listed & { arrival: number };

/**
 * The objects whose arrival may fall in [from, to), in the order a replay reads them: arrival order, ties by key.
 * Lists once, from the first hour folder of the window.
 */
export async function* objectsToRead(
  store: ArchiveStore,
  prefix: string,
  arrival: { from: number; to: number },
): AsyncGenerator<Planned> {
  if (arrival.to <= arrival.from) return;
  const first = Math.floor(arrival.from / HOUR_MS) * HOUR_MS;
  // One hour folder's objects in arrival order. An object that arrived before the window holds only minutes
  // before it (arrival follows the minute).
  const inOrder = (hour: number, listed: Listed[]) =>
    listed
      .map((o) => {
        const exact = arrivalOf(o.key, hour);
        return { ...o, arrival: exact ?? hour, latest: exact ?? hour + HOUR_MS - 1 };
      })
      .filter((o) => o.latest >= arrival.from && o.arrival < arrival.to)
      .sort((a, b) => a.arrival - b.arrival || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ latest: _latest, ...o }) => o);
  // Hour folders sort in time order, so one listing from the first folder of the window covers it; it ends at
  // the first key that sorts after the window's last folder (a later folder, or anything else under the prefix,
  // such as an error output). Keys between that are not in hour folders are not Firehose's and are passed by.
  const end = hourPrefix(prefix, Math.ceil(arrival.to / HOUR_MS) * HOUR_MS);
  let hour = first;
  let folder: Listed[] = [];
  for await (const page of store.list(prefix, hourPrefix(prefix, first))) {
    for (const o of page) {
      if (o.key >= end) return yield* inOrder(hour, folder);
      const h = hourOfKey(prefix, o.key);
      if (h === null || h < first) continue;
      if (h !== hour) {
        yield* inOrder(hour, folder);
        [hour, folder] = [h, []];
      }
      folder.push(o);
    }
  }
  yield* inOrder(hour, folder);
}

/** The objects of the window in arrival order (ties by key), `concurrency` fetched ahead. */
export async function* readArchive(store: ArchiveStore, opts: ReadOptions): AsyncGenerator<ArchiveObject> {
  const ahead: Promise<ArchiveObject>[] = [];
  const source = objectsToRead(store, opts.prefix, opts.arrival);
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && ahead.length < Math.max(1, opts.concurrency)) {
      const next = await source.next();
      if (next.done) exhausted = true;
      else {
        const p = readObject(store, next.value, opts).catch((err: unknown) => {
          throw new Error(`reading s3 object ${next.value.key}: ${(err as Error).message}`, { cause: err });
        });
        p.catch(() => {}); // awaited in order below; this only keeps an early failure from being "unhandled"
        ahead.push(p);
      }
    }
  };
  for (await fill(); ahead.length > 0; await fill()) yield await (ahead.shift() as Promise<ArchiveObject>);
}
