/**
 * Where a replay reads and normalizes: in the calling thread (any ArchiveStore: tests, the gap repair's few
 * minutes), or in a worker thread with S3 of its own (replay-s3, the benchmark), so fetching, parsing and
 * normalizing run beside the thread that builds ILP requests instead of taking turns with it. The worker runs
 * the same `produceCuts`; cuts come back as transferred columns, at most two ahead of the writer.
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../common/config.ts';
import { produceCuts, type ProduceInput, type ProducerEvent } from './produce.ts';
import type { ArchiveStore } from './reader.ts';
import { unpackOuts, type PackedOuts } from './transfer.ts';

/** Events of a replay's read side; `ack()` after consuming each cut, `stop()` to end after the object in hand. */
export type Production = { events: AsyncIterable<ProducerEvent>; ack(): void; stop(): void };
export type Producer = (input: ProduceInput) => Production;

export function inProcessProducer(archive: ArchiveStore): Producer {
  return (input) => {
    let stopped = false;
    return {
      events: produceCuts(input, archive, () => stopped),
      ack: () => {},
      stop: () => (stopped = true),
    };
  };
}

export type WorkerConfig = Pick<
  Config,
  'RAW_BUCKET' | 'AWS_REGION' | 'AWS_ENDPOINT_URL' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY'
>;

/** Messages from the worker (see worker.ts). */
export type WorkerMessage =
  | Exclude<ProducerEvent, { kind: 'cut' }>
  | { kind: 'cut'; from: number; to: number; previous: ProduceInput['previous']; packed: PackedOuts }
  | { kind: 'error'; message: string; stack: string };

export function workerProducer(config: WorkerConfig): Producer {
  return (input) => {
    // The worker's entry is TypeScript: register tsx in it first, as `node --import tsx` does here.
    const code = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register();
      return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
    const worker = new Worker(code, { eval: true, workerData: { config, input } });
    const queue: ProducerEvent[] = [];
    let failure: Error | null = null;
    let finished = false;
    let wake: (() => void) | null = null;
    const notify = () => (wake?.(), (wake = null));
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'error') failure = Object.assign(new Error(m.message), { stack: m.stack });
      else if (m.kind === 'cut')
        queue.push({ kind: 'cut', from: m.from, to: m.to, previous: m.previous, outs: unpackOuts(m.packed) });
      else queue.push(m);
      notify();
    });
    worker.on('error', (err) => ((failure ??= err), notify()));
    worker.on('exit', () => ((finished = true), notify()));
    async function* events(): AsyncGenerator<ProducerEvent> {
      try {
        for (;;) {
          const next = queue.shift();
          if (next) yield next;
          else if (failure) throw failure;
          else if (finished) return;
          else await new Promise<void>((r) => (wake = r));
        }
      } finally {
        await worker.terminate();
      }
    }
    return {
      events: events(),
      ack: () => worker.postMessage({ kind: 'ack' }),
      stop: () => worker.postMessage({ kind: 'stop' }),
    };
  };
}
