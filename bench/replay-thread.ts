/**
 * The design the replay does not use, measured beside it by bench:backfill: the whole replay (list, fetch, parse,
 * normalize, check what is stored) in a worker thread, each batch handed to this thread, which writes it through
 * the same ILP store and acknowledges it. Rates rows cross as typed-array columns (transferred, not copied) so the
 * writing thread pays as little as a hand-off can cost; the few other rows go by structured clone.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { makeS3 } from '../common/aws.ts';
import { systemClock } from '../common/clock.ts';
import type { Config } from '../common/config.ts';
import { makeS3ArchiveStore } from '../ingest/archive/store.ts';
import { runReplay, type ReplayOptions } from '../ingest/replay/replay.ts';
import { makeQuestdbStore, type Batch } from '../ingest/store.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import type { Rate } from '../sql/tables.ts';

type Columns = {
  ts: Float64Array;
  rate: Float64Array;
  /** NaN where the row has no quote time. */
  quoteTs: Float64Array;
  source: Uint16Array;
  currency: Uint16Array;
  symbols: string[];
};
type Sent = { id: number; batch: Omit<Batch, 'rates'>; rates: Columns | null };
type FromWorker = Sent | 'ready' | { done: { ratesWritten: number; badObjects: number } };

function toColumns(rates: Rate[]): { cols: Columns; transfer: ArrayBuffer[] } {
  const n = rates.length;
  const cols: Columns = {
    ts: new Float64Array(n),
    rate: new Float64Array(n),
    quoteTs: new Float64Array(n),
    source: new Uint16Array(n),
    currency: new Uint16Array(n),
    symbols: [],
  };
  const ids = new Map<string, number>();
  const id = (s: string) => ids.get(s) ?? (ids.set(s, ids.size), cols.symbols.push(s), ids.size - 1);
  rates.forEach((r, i) => {
    cols.ts[i] = r.ts;
    cols.rate[i] = r.rate;
    cols.quoteTs[i] = r.quoteTs ?? NaN;
    cols.source[i] = id(r.source);
    cols.currency[i] = id(r.currency);
  });
  const transfer = [cols.ts, cols.rate, cols.quoteTs, cols.source, cols.currency].map(
    (a) => a.buffer as ArrayBuffer,
  );
  return { cols, transfer };
}

function fromColumns(c: Columns): Rate[] {
  const rates: Rate[] = new Array(c.ts.length);
  for (let i = 0; i < c.ts.length; i++) {
    const q = c.quoteTs[i]!;
    rates[i] = {
      ts: c.ts[i]!,
      source: c.symbols[c.source[i]!]!,
      currency: c.symbols[c.currency[i]!]!,
      rate: c.rate[i]!,
      quoteTs: Number.isNaN(q) ? null : q,
    };
  }
  return rates;
}

/**
 * Run the replay with its reading in a worker thread: seconds from the thread ready (its modules loaded, untimed:
 * the design's best case) to the last batch written, and the rates rows written.
 */
export async function timeThreadedReplay(
  config: Config,
  opts: ReplayOptions,
): Promise<{ seconds: number; rows: number }> {
  const ilp = await makeIlp(config, { requestTimeoutMs: 120_000, retryTimeoutMs: 60_000 });
  const store = makeQuestdbStore(ilp);
  const worker = new Worker(new URL(import.meta.url), { workerData: { replayThread: { config, opts } } });
  let t0 = 0;
  try {
    const done = await new Promise<{ ratesWritten: number; badObjects: number }>((resolve, reject) => {
      let writes = Promise.resolve();
      worker.on('message', (m: FromWorker) => {
        if (m === 'ready') return void ((t0 = performance.now()), worker.postMessage('go'));
        if ('done' in m) return void writes.then(() => resolve(m.done), reject);
        const batch = m.rates ? { ...m.batch, rates: fromColumns(m.rates) } : m.batch;
        writes = writes.then(() => store.write(batch)).then(() => worker.postMessage(m.id));
        writes.catch(reject);
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`the reading thread exited with ${code}`)));
    });
    if (done.badObjects > 0) throw new Error('the threaded replay skipped objects');
    return { seconds: (performance.now() - t0) / 1000, rows: done.ratesWritten };
  } finally {
    await worker.terminate();
    await ilp.close();
  }
}

/** The worker: the replay itself, with a store that sends each batch over and waits for its acknowledgement. */
async function readingThread(config: Config, opts: ReplayOptions): Promise<void> {
  const port = parentPort!;
  const db = makeDb(config, 2);
  const s3 = makeS3(config);
  port.postMessage('ready' satisfies FromWorker);
  await new Promise((go) => port.once('message', go));
  const acks = new Map<number, () => void>();
  port.on('message', (id: number) => acks.get(id)?.());
  let next = 0;
  const write = (batch: Batch) =>
    new Promise<void>((resolve) => {
      const id = next++;
      acks.set(id, () => (acks.delete(id), resolve()));
      const { rates, ...rest } = batch;
      const cols = rates?.length ? toColumns(rates) : null;
      port.postMessage({ id, batch: rest, rates: cols?.cols ?? null } satisfies Sent, cols?.transfer ?? []);
    });
  try {
    const summary = await runReplay(opts, {
      db,
      store: { write },
      archive: makeS3ArchiveStore(s3, config.RAW_BUCKET),
      prefix: config.RAW_PREFIX,
      archiveName: `s3://${config.RAW_BUCKET}/${config.RAW_PREFIX}`,
      clock: systemClock,
    });
    const { ratesWritten, badObjects } = summary.counters;
    port.postMessage({ done: { ratesWritten, badObjects } } satisfies FromWorker);
  } finally {
    s3.destroy();
    await db.end();
  }
}

// Only in the thread started above (a test runner's worker may import this file too).
const started = (workerData as { replayThread?: { config: Config; opts: ReplayOptions } } | null)
  ?.replayThread;
if (!isMainThread && started) await readingThread(started.config, started.opts);
