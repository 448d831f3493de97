/**
 * Where a replay reads and normalizes: in the calling thread (any ArchiveStore: tests, the gap repair's few
 * minutes), or in a worker thread with S3 of its own (replay-s3, the benchmark), so fetching, parsing and
 * normalizing run beside the thread that builds ILP requests instead of taking turns with it. The worker runs
 * the same `produceCuts`; cuts come back as transferred columns, at most two ahead of the writer. Until the
 * first cut, the calling thread has nothing to write and fetches for the worker instead (head-start.ts).
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import type { Config } from '../../common/config.ts';
import { startHead, type HeadMessage } from './head-start.ts';
import { produceCuts, type ProduceInput, type ProducerEvent } from './produce.ts';
import type { ArchiveStore } from './reader.ts';
import { openS3Archive } from './s3-store.ts';
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

export type Prebuild = 'when-busy' | 'always';

/** Messages from the worker (see worker.ts). */
export type WorkerMessage =
  | Exclude<ProducerEvent, { kind: 'cut' }>
  | {
      kind: 'cut';
      from: number;
      to: number;
      previous: ProduceInput['previous'];
      packed: PackedOuts;
      ilp?: Uint8Array;
    }
  | { kind: 'error'; message: string; stack: string };

const CACHE = new URL('../../node_modules/.cache/btc-rates/', import.meta.url);
/** A bundle's folder (an earlier layout: one file), or a crash's leftover of either. */
const BUNDLE = /^replay-worker-[0-9a-f]{16}(\.mjs)?(\.\d+\.tmp)?$/;
const ENTRY = 'worker.mjs';
/** Bundles of other versions of the worker's code unused for this long are deleted. */
const KEEP_UNUSED_MS = 3_600_000;

/**
 * Delete bundles (and what a crash left) not used for `keepMs`, except `current`. A worker loads its bundle when it
 * starts and the chunk it loads later (S3) by its first cut, so only a replay that built an old bundle and had
 * not yet got that far could miss it: an hour is far beyond that moment.
 */
export function pruneBundles(dir: string, current: string, now: number, keepMs = KEEP_UNUSED_MS): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!BUNDLE.test(name) || name === current) continue;
    const path = join(dir, name);
    try {
      if (now - statSync(path).mtimeMs < keepMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(name);
    } catch {
      /* removed meanwhile by another replay */
    }
  }
  return removed;
}

/**
 * The worker's entry as ES modules: our TypeScript bundled and stripped by esbuild (about 10 ms), packages left to
 * Node, and what the worker imports only when it needs it (S3) split into a chunk of its own, so its start does
 * not wait for the AWS SDK (see worker.ts). Running the bundle, the worker needs no TypeScript loader (0.40 ->
 * 0.28 s measured when the bundle came in; see workerExecArgv). Built at every start, so it is never older than
 * the source; kept under node_modules/.cache (a folder by content hash, written atomically; its modification time
 * is its last use, and bundles of other versions unused for an hour are pruned) so its imports resolve as the
 * source's do.
 */
async function bundledEntry(): Promise<URL> {
  const dir = fileURLToPath(CACHE);
  const out = await build({
    entryPoints: { worker: fileURLToPath(new URL('./worker.ts', import.meta.url)) },
    bundle: true,
    splitting: true,
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const files = out.outputFiles
    .map((f) => ({ name: relative(dir, f.path), text: f.text }))
    .sort((x, y) => (x.name < y.name ? -1 : 1));
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f.name}\0${f.text}\0`);
  const name = `replay-worker-${hash.digest('hex').slice(0, 16)}`;
  const folder = join(dir, name);
  if (existsSync(join(folder, ENTRY))) {
    const now = new Date();
    try {
      utimesSync(folder, now, now);
    } catch {
      /* a read-only install: the bundle is still usable */
    }
  } else {
    const tmp = `${folder}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const f of files) writeFileSync(join(tmp, f.name), f.text);
    try {
      renameSync(tmp, folder);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(folder, ENTRY))) throw err; // else another replay wrote the same bundle first
    }
  }
  try {
    pruneBundles(dir, name, Date.now());
  } catch {
    /* housekeeping only */
  }
  return pathToFileURL(join(folder, ENTRY));
}

const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--require', '-r']);
const TSX = /^tsx(\/|$)|[\\/]node_modules[\\/]tsx[\\/]/;

/**
 * The worker's Node options: this thread's, less a TypeScript loader (`--import tsx`, as the npm scripts run us).
 * A worker inherits its parent's options, and with them the loader's hooks, which every import of the AWS SDK's
 * hundreds of modules then passes through; the bundle needs none of it (the fallback registers tsx itself).
 * Measured on an AMD EPYC 2-vCPU VM (the bench's machine): the worker's imports done 0.87 -> 0.55 s after it was
 * created (medians of 22 starts each, the front phase then 0.1 s shorter). Pure.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    const [flag, inline] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (LOADER_FLAGS.has(flag)) {
      const value = inline ?? execArgv[i + 1] ?? '';
      if (TSX.test(value)) {
        if (inline === undefined) i++;
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

/** Where the bundle cannot be built or written (a read-only install), the TypeScript entry through tsx. */
async function startWorker(workerData: unknown): Promise<Worker> {
  const execArgv = workerExecArgv(process.execArgv);
  try {
    return new Worker(await bundledEntry(), { workerData, execArgv });
  } catch {
    const code = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register();
      return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); })`;
    return new Worker(code, { eval: true, workerData, execArgv });
  }
}

/** How much of the archive the starting thread fetches at most before the first cut (see head-start.ts). */
const HEAD_START_BYTES = 64 * 2 ** 20;

/**
 * `headStart: false` leaves all reading to the worker (to measure what the head start gains). `ilpConf`, the
 * writer's ILP configuration string, lets the worker build rows for the writer too (see prebuilt.ts): of the cuts
 * it finishes while the writer is busy, or (`prebuild: 'always'`, for tests) of every cut.
 */
export function workerProducer(
  config: WorkerConfig,
  opts: { headStart?: boolean; ilpConf?: string; prebuild?: Prebuild } = {},
): Producer {
  const headStart = opts.headStart ?? true;
  return (input) => {
    const started = startWorker({
      config,
      input,
      headStart,
      ilpConf: opts.ilpConf ?? null,
      prebuild: opts.prebuild ?? 'when-busy',
    });
    // Until it has a cut to write, this thread lists and fetches for the worker (see head-start.ts).
    const head = started.then((worker) => {
      if (!headStart) return null;
      const send = (m: HeadMessage, transfer: ArrayBuffer[] = []) => worker.postMessage(m, transfer);
      try {
        const archive = openS3Archive(config);
        const h = startHead(
          archive.store,
          { prefix: input.prefix, arrival: input.listing },
          { concurrency: input.concurrency, maxBytes: HEAD_START_BYTES },
          send,
        );
        void h.done.finally(archive.close);
        return h;
      } catch {
        send({ kind: 'head:end' }); // no head start: the worker must not wait for one
        return null;
      }
    });
    const stopHead = () =>
      void head.then(
        (h) => h?.stop(),
        () => {},
      );
    const queue: ProducerEvent[] = [];
    let failure: Error | null = null;
    let finished = false;
    let wake: (() => void) | null = null;
    const notify = () => (wake?.(), (wake = null));
    const listening = started.then((worker) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'error') failure = Object.assign(new Error(m.message), { stack: m.stack });
        else if (m.kind === 'cut') {
          stopHead(); // writing starts: from here the worker fetches for itself
          queue.push({
            kind: 'cut',
            from: m.from,
            to: m.to,
            previous: m.previous,
            outs: unpackOuts(m.packed),
            ...(m.ilp ? { ilp: m.ilp } : {}),
          });
        } else queue.push(m);
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
        stopHead();
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
