/**
 * A head start for a replay worker. The thread that starts the worker has nothing to write until the first cut,
 * and that takes a while: the worker needs a fifth of a second to start (zod and the parsers; it imports the AWS
 * SDK, 0.4 s more, only once it fetches for itself), and a minute is final only once a day of objects after it
 * (the arrival slack) has been read. So until then that thread lists the window and fetches the objects the
 * worker will read, in the worker's own order (`objectsToRead`), and hands pages and bodies over as they come,
 * bodies transferred rather than copied: the listing and the first fetches happen while the worker starts, and
 * afterwards the worker only parses while the other thread pays for the requests. It stops at the first cut, or
 * after `maxBytes` of objects. Measured on the benchmark's archive (400 objects, 24 h slack, 2 vCPUs;
 * `bench:backfill --start-trials`): the first cut comes 0.15-0.2 s sooner (medians of 12 alternating pairs, 10 of
 * them sooner), and 0.4-0.7 s sooner while the VM's host takes a large share of the CPU, which slows a worker
 * doing everything alone the most. Since the worker imports the SDK only when it fetches for itself, 0.3 s sooner
 * (1.31 against 1.60 s, 11 of 12 pairs sooner, on an AMD EPYC VM).
 *
 * On the worker's side, `headStore` serves what was handed over before asking S3 itself: the listing's pages
 * first, then the rest listed on from the last key. Both threads take objects in the same order, so until the
 * head start has ended the worker waits for a body rather than fetching it too; once it has ended (at most the
 * fetches under way after the stop), the worker fetches for itself. A failure in the head start is not reported
 * there: its objects are left to the worker, whose own request then fails with the usual error, or succeeds.
 */
import { objectsToRead, type ArchiveStore, type Listed } from './reader.ts';

/** What the head start sends, in this order: `start`, `page`s (`listed` when the listing ended) and `body`s, `end`. */
export type HeadMessage =
  | { kind: 'head:start'; prefix: string; startAfter: string }
  | { kind: 'head:page'; page: Listed[] }
  | { kind: 'head:listed' }
  | { kind: 'head:body'; key: string; bytes: Uint8Array | null }
  | { kind: 'head:end' };

export const isHeadMessage = (m: { kind: string }): m is HeadMessage => m.kind.startsWith('head:');

async function readWhole(store: ArchiveStore, key: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await store.open(key)) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * A body as the whole of an ArrayBuffer of its own, so transferring it moves nothing else: a Buffer may be a
 * view of a pool other Buffers share (and Buffer#slice makes another view, not a copy).
 */
export function standalone(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}

export type HeadStart = {
  /** Fetch no further (objects under way still come). */
  stop(): void;
  /** Settles after `head:end` is sent; never rejects. */
  done: Promise<void>;
};

/**
 * List the window and fetch its first objects through `store`, `concurrency` at a time and no more than
 * `maxBytes` (by their listed sizes), sending each step. `send(m, transfer)` posts to the worker.
 */
export function startHead(
  store: ArchiveStore,
  window: { prefix: string; arrival: { from: number; to: number } },
  opts: { concurrency: number; maxBytes: number },
  send: (m: HeadMessage, transfer?: ArrayBuffer[]) => void,
): HeadStart {
  let stopped = false;
  const recording: ArchiveStore = {
    async *list(prefix, startAfter) {
      send({ kind: 'head:start', prefix, startAfter });
      for await (const page of store.list(prefix, startAfter)) {
        send({ kind: 'head:page', page });
        yield page;
      }
      send({ kind: 'head:listed' });
    },
    open: () => Promise.reject(new Error('the head start reads bodies whole')),
  };
  async function fetchOne(key: string): Promise<void> {
    const bytes = await readWhole(store, key).then(standalone, () => null);
    send({ kind: 'head:body', key, bytes }, bytes ? [bytes.buffer as ArrayBuffer] : []);
  }
  async function run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let bytes = 0;
    try {
      for await (const o of objectsToRead(recording, window.prefix, window.arrival)) {
        if (stopped || bytes + o.size > opts.maxBytes) break;
        while (inFlight.size >= opts.concurrency) await Promise.race(inFlight);
        if (stopped) break;
        bytes += o.size;
        const p: Promise<void> = fetchOne(o.key).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await Promise.all(inFlight);
    } catch {
      // Listing failed (the worker lists for itself), or the worker is gone.
      await Promise.allSettled(inFlight);
    }
    try {
      send({ kind: 'head:end' });
    } catch {
      /* the worker is gone */
    }
  }
  return { stop: () => (stopped = true), done: run() };
}

/**
 * The worker's archive: `inner`, with what the head start hands over (fed to `receive`) served first. Until
 * `head:end`, pages and bodies are waited for rather than asked for again.
 */
export function headStore(inner: ArchiveStore): { store: ArchiveStore; receive(m: HeadMessage): void } {
  let start: { prefix: string; startAfter: string } | null = null;
  const pages: Listed[][] = [];
  let listed = false;
  let ended = false;
  const bodies = new Map<string, Uint8Array | null>();
  let waiters: (() => void)[] = [];
  const changed = () => new Promise<void>((r) => waiters.push(r));
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const r of w) r();
  };
  // Until the head start has said how it lists, a listing waits for it (it is sent before anything else).
  const matches = async (prefix: string, startAfter: string) => {
    while (!start && !ended) await changed();
    return start?.prefix === prefix && start.startAfter === startAfter;
  };
  const store: ArchiveStore = {
    async *list(prefix, startAfter) {
      if (!(await matches(prefix, startAfter))) return yield* inner.list(prefix, startAfter);
      let next = 0;
      for (;;) {
        if (next < pages.length) yield pages[next++]!;
        else if (listed) return;
        else if (ended) break;
        else await changed();
      }
      const last = pages.flat().at(-1)?.key ?? startAfter;
      yield* inner.list(prefix, last);
    },
    async open(key) {
      while (!bodies.has(key) && !ended) await changed();
      const bytes = bodies.get(key);
      bodies.delete(key);
      if (!bytes) return inner.open(key);
      return (async function* () {
        yield bytes;
      })();
    },
  };
  function receive(m: HeadMessage): void {
    if (m.kind === 'head:start') start = { prefix: m.prefix, startAfter: m.startAfter };
    else if (m.kind === 'head:page') pages.push(m.page);
    else if (m.kind === 'head:listed') listed = true;
    else if (m.kind === 'head:body') bodies.set(m.key, m.bytes);
    else if (m.kind === 'head:end') ended = true;
    wake();
  }
  return { store, receive };
}
