/**
 * The objects of an arrival window in arrival order, a few fetched at once, streamed into the envelopes wanted. Bad
 * lines are reported and skipped; a failure to list or fetch throws, so a replay never passes over data.
 */
import { parseArchiveLine, type RawEnvelope } from '../archive/envelope.ts';
import { maybeGunzip, splitLines } from '../archive/lines.ts';
import type { ArchiveStore, Listed } from '../archive/store.ts';
import { arrivalDeadline, arrivalOf, hourOfKey, hourPrefix, minuteHint } from '../archive/keys.ts';

const HOUR_MS = 3_600_000;

export type BadLine = { line: number; error: string };

export type ArchiveObject = {
  key: string;
  arrival: number;
  bytes: number;
  /** Envelopes of wanted minutes that arrived by their deadline, in file order, and those that arrived later. */
  envelopes: RawEnvelope[];
  late: number;
  bad: BadLine[];
};

export type ReadOptions = {
  prefix: string;
  /** Arrival window to list, and minutes wanted, epoch ms [from, to). */
  arrival: { from: number; to: number };
  from: number;
  to: number;
  slackMs: number;
  want?: (e: RawEnvelope) => boolean;
  /** Objects fetched at once. */
  concurrency: number;
};

/** Read one object into the envelopes wanted. A corrupt gzip body counts as a bad line. */
async function readObject(store: ArchiveStore, o: Planned, opts: ReadOptions): Promise<ArchiveObject> {
  const { key, arrival, size: bytes } = o;
  const out: ArchiveObject = { key, arrival, bytes, envelopes: [], late: 0, bad: [] };
  const inRange = (m: number) => m >= opts.from && m < opts.to;
  const body = await store.open(o.key);
  let n = 0;
  try {
    for await (const line of splitLines(maybeGunzip(body))) {
      n++;
      if (!line.trim()) continue;
      const hint = minuteHint(line);
      if (hint !== null && !inRange(hint)) continue;
      const p = parseArchiveLine(line);
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
    if (!((err as { code?: string }).code ?? '').startsWith('Z_')) throw err;
    out.bad.push({ line: n + 1, error: `corrupt gzip: ${(err as Error).message}` });
  }
  return out;
}

type Planned = Listed & { arrival: number };

/**
 * The objects whose arrival may fall in [from, to), in arrival order (ties by key): one listing from the window's
 * first hour folder to past its last; keys outside hour folders are not Firehose's and are passed by.
 */
export async function* objectsToRead(
  store: ArchiveStore,
  prefix: string,
  arrival: { from: number; to: number },
): AsyncGenerator<Planned> {
  if (arrival.to <= arrival.from) return;
  const first = Math.floor(arrival.from / HOUR_MS) * HOUR_MS;
  // An object whose name has no time is placed at its folder's hour.
  const inOrder = (hour: number, listed: Listed[]) =>
    listed
      .map((o) => {
        const exact = arrivalOf(o.key, hour);
        return { ...o, arrival: exact ?? hour, latest: exact ?? hour + HOUR_MS - 1 };
      })
      .filter((o) => o.latest >= arrival.from && o.arrival < arrival.to)
      .sort((a, b) => a.arrival - b.arrival || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ latest: _latest, ...o }) => o);
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

/** The objects of the window in arrival order, up to `concurrency` of them fetched and parsed ahead. */
export async function* readArchive(store: ArchiveStore, opts: ReadOptions): AsyncGenerator<ArchiveObject> {
  const ahead: Promise<ArchiveObject>[] = [];
  const planned = objectsToRead(store, opts.prefix, opts.arrival);
  for (;;) {
    while (ahead.length < Math.max(1, opts.concurrency)) {
      const next = await planned.next();
      if (next.done) break;
      const p = readObject(store, next.value, opts).catch((err: unknown) => {
        throw new Error(`reading s3 object ${next.value.key}: ${(err as Error).message}`, { cause: err });
      });
      p.catch(() => {}); // awaited in order below; this keeps an early failure from being "unhandled"
      ahead.push(p);
    }
    const p = ahead.shift();
    if (!p) return;
    yield await p;
  }
}
