/**
 * The worker thread of `workerProducer`: reads and normalizes with S3 of its own (and what the starting thread
 * fetched for it first) and posts the events, a cut's rates as transferred columns. It waits for the writer's
 * ack when two cuts are unconsumed, so it never runs far ahead of QuestDB, and ends after the object in hand
 * when told to stop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { makeS3 } from '../../common/aws.ts';
import { headStore, isHeadMessage, type HeadMessage } from './head-start.ts';
import { produceCuts, type ProduceInput } from './produce.ts';
import type { WorkerConfig, WorkerMessage } from './producers.ts';
import { makeS3ArchiveStore } from './reader.ts';
import { packOuts, transferables } from './transfer.ts';

const AHEAD = 2;
const port = parentPort!;
const { config, input, headStart } = workerData as {
  config: WorkerConfig;
  input: ProduceInput;
  headStart: boolean;
};
const s3 = makeS3(config);
const own = makeS3ArchiveStore(s3, config.RAW_BUCKET);
// What the starting thread lists and fetches for it until the first cut is served first (see head-start.ts).
const head = headStart ? headStore(own) : null;
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
  for await (const e of produceCuts(input, head?.store ?? own, () => stopped)) {
    if (e.kind !== 'cut') {
      post(e);
      continue;
    }
    const packed = packOuts(e.outs);
    post({ kind: 'cut', from: e.from, to: e.to, previous: e.previous, packed }, transferables(packed));
    unacked++;
    while (unacked >= AHEAD && !stopped) await new Promise<void>((r) => (resume = r));
    if (stopped) break;
  }
} catch (err) {
  const e = err as Error;
  post({ kind: 'error', message: e.message, stack: e.stack ?? e.message });
} finally {
  s3.destroy();
  port.close();
}
