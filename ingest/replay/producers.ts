/**
 * Where a replay reads and normalizes: in the calling thread (any ArchiveStore: tests, the gap repair's few
 * minutes), or in a worker thread with S3 of its own (replay-s3, the benchmark), so fetching, parsing and
 * normalizing run beside the thread that builds ILP requests instead of taking turns with it. The worker runs
 * the same `produceCuts`; cuts come back as transferred columns, at most two ahead of the writer.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
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

const CACHE = new URL('../../node_modules/.cache/btc-rates/', import.meta.url);

/**
 * The worker's entry as one ES module: our TypeScript bundled and stripped by esbuild (about 10 ms), packages
 * left to Node. The worker then starts without a TypeScript loader of its own (0.40 -> 0.28 s measured, most of
 * the rest is importing the AWS SDK and zod). Built at every start, so it is never older than the source; kept
 * under node_modules/.cache (by content hash, written atomically) so its imports resolve as the source's do.
 */
async function bundledEntry(): Promise<URL> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL('./worker.ts', import.meta.url))],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  const file = new URL(
    `replay-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`,
    CACHE,
  );
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${fileURLToPath(file)}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, file);
  }
  return file;
}

/** Where the bundle cannot be built or written (a read-only install), the TypeScript entry through tsx. */
async function startWorker(workerData: unknown): Promise<Worker> {
  try {
    return new Worker(await bundledEntry(), { workerData });
  } catch {
    const code = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register();
      return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
    return new Worker(code, { eval: true, workerData });
  }
}

export function workerProducer(config: WorkerConfig): Producer {
  return (input) => {
    const started = startWorker({ config, input });
    const queue: ProducerEvent[] = [];
    let failure: Error | null = null;
    let finished = false;
    let wake: (() => void) | null = null;
    const notify = () => (wake?.(), (wake = null));
    const listening = started.then((worker) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'error') failure = Object.assign(new Error(m.message), { stack: m.stack });
        else if (m.kind === 'cut')
          queue.push({
            kind: 'cut',
            from: m.from,
            to: m.to,
            previous: m.previous,
            outs: unpackOuts(m.packed),
          });
        else queue.push(m);
        notify();
      });
      worker.on('error', (err) => ((failure ??= err), notify()));
      worker.on('exit', () => ((finished = true), notify()));
      return worker;
    });
    async function* events(): AsyncGenerator<ProducerEvent> {
      const worker = await listening;
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
    const post = (m: { kind: 'ack' | 'stop' }) =>
      void listening.then(
        (w) => w.postMessage(m),
        () => {},
      );
    return { events: events(), ack: () => post({ kind: 'ack' }), stop: () => post({ kind: 'stop' }) };
  };
}
