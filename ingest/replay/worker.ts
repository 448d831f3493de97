/**
 * The worker thread of `workerProducer`: reads and normalizes with S3 of its own (and what the starting thread
 * fetched for it first) and posts the events, a cut's rates as transferred columns — with its rows built as ILP
 * too when the writer is busy and gave its ILP configuration (prebuilt.ts). It waits for the writer's
 * ack when two cuts are unconsumed, so it never runs far ahead of QuestDB, and ends after the object in hand
 * when told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { headStore, isHeadMessage, type HeadMessage } from './head-start.ts';
import { produceCuts, type ProduceInput } from './produce.ts';
import type { Prebuild, WorkerConfig, WorkerMessage } from './producers.ts';
import type { OpenArchive } from './s3-store.ts';
import { makeCutBuilder } from './prebuilt.ts';
import { packOuts, transferables } from './transfer.ts';

const AHEAD = 2;
const port = parentPort!;
const { config, input, headStart, ilpConf, prebuild } = workerData as {
  config: WorkerConfig;
  input: ProduceInput;
  headStart: boolean;
  ilpConf: string | null;
  prebuild: Prebuild;
};

/**
 * S3 of the worker's own, loaded when first asked for (the bundle keeps it in a chunk of its own): importing the
 * AWS SDK was most of the worker's start (created to imports done 0.62 -> 0.22 s, medians of 18 starts on a 2-vCPU
 * VM), and with a head start nothing is asked of S3 here before the first cut.
 */
function lazyS3(): OpenArchive {
  let loaded: Promise<OpenArchive> | null = null;
  const load = () => (loaded ??= import('./s3-store.ts').then((m) => m.openS3Archive(config)));
  return {
    store: {
      async *list(prefix, startAfter) {
        yield* (await load()).store.list(prefix, startAfter);
      },
      open: async (key) => (await load()).store.open(key),
    },
    close: () =>
      void loaded?.then(
        (archive) => archive.close(),
        () => {},
      ),
  };
}

const own = lazyS3();

const builder = ilpConf ? makeCutBuilder(ilpConf) : null;
// What the starting thread lists and fetches for it until the first cut is served first (see head-start.ts).
const head = headStart ? headStore(own.store) : null;
let stopped = false;
let unacked = 0;
let resume: (() => void) | null = null;
port.on('message', (m: { kind: 'ack' | 'stop' } | HeadMessage) => {
  if (isHeadMessage(m)) return head?.receive(m);
  if (m.kind === 'stop') stopped = true;
  else unacked--;
  resume?.();
  resume = null;
});

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
try {
  for await (const e of produceCuts(input, head?.store ?? own.store, () => stopped)) {
    if (e.kind !== 'cut') {
      post(e);
      continue;
    }
    const packed = packOuts(e.outs);
    // Built here only while the writer still has a cut in hand (see prebuilt.ts): a writer waiting for this one
    // is better served by having it at once.
    const ilp = builder && (prebuild === 'always' || unacked >= 1) ? await builder.build(e.outs) : null;
    post(
      { kind: 'cut', from: e.from, to: e.to, previous: e.previous, packed, ...(ilp ? { ilp } : {}) },
      ilp ? [...transferables(packed), ilp.buffer as ArrayBuffer] : transferables(packed),
    );
    // The client is needed from the second cut on: loaded once the first is out, off the replay's start (a no-op
    // after that; a failure to load shows at the first build).
    builder?.warm().catch(() => {});
    unacked++;
    while (unacked >= AHEAD && !stopped) await new Promise<void>((r) => (resume = r));
    if (stopped) break;
  }
} catch (err) {
  const e = err as Error;
  post({ kind: 'error', message: e.message, stack: e.stack ?? e.message });
} finally {
  own.close();
  port.close();
}
