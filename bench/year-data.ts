/**
 * The minute data bench:queries and bench:web load: a geometric random walk per currency (mulberry32, seed 42,
 * so every machine gets the same data) written in ~100k-row ILP requests with progress lines, and the wait until
 * QuestDB has applied it and refreshed the views over it.
 */
import { mulberry32 } from '../forecast/gp/index.ts';
import { readViewStates } from '../jobs/view-health.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';

const Q = loadQueries('./queries.sql', import.meta.url);
const MIN = 60_000;
const VIEWS = ['rates_1h', 'rates_1d'];

/** Write minutes [start, end) for every currency under `source`; returns the rows written. */
export async function writeRandomWalk(
  ilp: Ilp,
  p: { source: string; currencies: string[]; start: number; end: number; say: (s: string) => void },
): Promise<number> {
  const r = mulberry32(42);
  const price = p.currencies.map((_, i) => 20_000 * (1 + i * 0.37));
  const minutesPerBatch = Math.max(1, Math.floor(100_000 / p.currencies.length));
  const expected = ((p.end - p.start) / MIN) * p.currencies.length;
  const t0 = performance.now();
  let written = 0;
  let lastReport = t0;
  for (let m = p.start; m < p.end; m += minutesPerBatch * MIN) {
    const upTo = Math.min(p.end, m + minutesPerBatch * MIN);
    await ilp.write(async (sender) => {
      for (let ts = m; ts < upTo; ts += MIN)
        for (const [i, currency] of p.currencies.entries()) {
          price[i] = price[i]! * Math.exp((r() - 0.5) * 0.002);
          await sender
            .table('rates')
            .symbol('source', p.source)
            .symbol('currency', currency)
            .floatColumn('rate', price[i]!)
            .at(ts, 'ms');
        }
    });
    written += ((upTo - m) / MIN) * p.currencies.length;
    if (performance.now() - lastReport > 5_000) {
      lastReport = performance.now();
      const rate = written / ((lastReport - t0) / 1000);
      p.say(
        `  ${written.toLocaleString('en-US')} of ${expected.toLocaleString('en-US')} rows (${Math.round(rate).toLocaleString('en-US')} rows/s, ${Math.round((expected - written) / rate)} s to go)`,
      );
    }
  }
  p.say(
    `  sent ${written.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return written;
}

/** Wait until `rates` has applied its WAL and both views have caught up with it. */
export async function waitSettled(db: Db, opts: { timeoutMs: number; pollMs: number }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const names = ['rates', ...VIEWS];
  for (;;) {
    const wal = (
      await db.query<{ name: string; suspended: boolean; writerTxn: string; sequencerTxn: string }>(
        pick(Q, 'walTables'),
      )
    ).filter((w) => names.includes(w.name));
    if (wal.some((w) => w.suspended)) throw new Error(`WAL suspended: ${JSON.stringify(wal)}`);
    const views = await readViewStates(db);
    const viewsDone = VIEWS.every((v) => {
      const s = views.get(v);
      return s !== undefined && s.status !== 'invalid' && s.refreshTxn >= s.baseTxn;
    });
    if (viewsDone && wal.length === names.length && wal.every((w) => w.writerTxn === w.sequencerTxn)) return;
    if (Date.now() > deadline) throw new Error('QuestDB did not settle in time');
    await new Promise((res) => setTimeout(res, opts.pollMs));
  }
}
