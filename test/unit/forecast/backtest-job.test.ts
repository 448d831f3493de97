/**
 * The daily backtest job against a fake database and ILP writer: every listed series backtested, the same
 * currency's other sources as related series for the multi-output model, one deterministic run id per window.
 */
import { describe, expect, it } from 'vitest';
import type { Sender } from '@questdb/nodejs-client';
import { makeLogger } from '../../../common/log.ts';
import { makeBacktestJob, runDailyBacktest } from '../../../jobs/backtest.ts';
import { validatePolicy } from '../../../jobs/scheduler.ts';
import type { Db } from '../../../sql/db.ts';
import type { Ilp } from '../../../sql/ilp.ts';
import { makeLeadLag } from '../../../forecast/synthetic.ts';

const END = Date.UTC(2031, 2, 10);
const DAY = 86_400_000;

/** Rates of a lead–lag pair (two sources of USD) and an independent EUR series, over the last day and a bit. */
function fakeDb(): Db & { reads: string[] } {
  const gen = makeLeadLag({ minutes: DAY / 60_000 + 120, seed: 5, start: END - DAY - 60 * 60_000 });
  const bySeries: Record<string, (typeof gen)[number]> = {
    'fast/USD': gen[0]!,
    'slow/USD': gen[1]!,
    'fast/EUR': gen[3]!,
  };
  const reads: string[] = [];
  return {
    reads,
    async query<R extends object>(sql: string, params: unknown[] = []) {
      if (sql.includes('count()'))
        return Object.keys(bySeries).map((k) => {
          const [source, currency] = k.split('/');
          return { source, currency, n: 1440 };
        }) as R[];
      const key = `${params[0]}/${params[1]}`;
      reads.push(key);
      const s = bySeries[key]!;
      const [from, to] = [Date.parse(String(params[2])), Date.parse(String(params[3]))];
      const rows = [];
      for (let i = 0; i < s.t.length; i++)
        if (s.t[i]! >= from && s.t[i]! < to) rows.push({ ts: new Date(s.t[i]!), rate: s.y[i]! });
      return rows as R[];
    },
    end: async () => {},
  };
}

/** An ILP writer that records rows as { symbols, columns, at }. */
function fakeIlp(): Ilp & { rows: Record<string, unknown>[] } {
  const rows: Record<string, unknown>[] = [];
  let cur: Record<string, unknown> = {};
  const sender = {
    table: (t: string) => ((cur = { table: t }), sender),
    symbol: (k: string, v: string) => ((cur[k] = v), sender),
    intColumn: (k: string, v: number) => ((cur[k] = v), sender),
    floatColumn: (k: string, v: number) => ((cur[k] = v), sender),
    timestampColumn: (k: string, v: number) => ((cur[k] = v), sender),
    at: async (ts: number) => {
      rows.push({ ...cur, ts });
    },
  };
  return {
    rows,
    write: async (build) => build(sender as unknown as Sender),
    close: async () => {},
  };
}

describe('daily backtest job', () => {
  it('backtests every series; same-currency sources are related; the run id names the day', async () => {
    const db = fakeDb();
    const ilp = fakeIlp();
    const log = makeLogger('test', 'silent');
    const n = await runDailyBacktest(
      { db, ilp },
      END,
      { signal: new AbortController().signal, log },
      { spanMs: DAY, stride: 30 },
    );
    const models = (source: string, currency: string) =>
      new Set(ilp.rows.filter((r) => r.source === source && r.currency === currency).map((r) => r.model));
    expect(models('fast', 'USD')).toEqual(new Set(['persistence', 'gp-wiener', 'gp-icm']));
    expect(models('slow', 'USD')).toEqual(new Set(['persistence', 'gp-wiener', 'gp-icm']));
    expect(models('fast', 'EUR')).toEqual(new Set(['persistence', 'gp-wiener']));
    expect(n).toBe(ilp.rows.length);
    expect(n).toBe((3 + 3 + 2) * 3);
    expect(new Set(ilp.rows.map((r) => r.run_id))).toEqual(new Set(['daily-2031-03-09']));
    expect(new Set(ilp.rows.map((r) => r.ts))).toEqual(new Set([END]));
    // Each series is read once, however many targets use it.
    expect(db.reads.sort()).toEqual(['fast/EUR', 'fast/USD', 'slow/USD']);
    const slowIcm1 = ilp.rows.find((r) => r.source === 'slow' && r.model === 'gp-icm' && r.horizon === 1)!;
    expect(slowIcm1.rmse_ratio).toBeLessThan(0.8);
    expect(slowIcm1.origins).toBe(48);
  }, 30_000);

  it('is registered daily with a valid policy', () => {
    const job = makeBacktestJob({
      db: fakeDb(),
      ilp: fakeIlp(),
      clock: { now: () => END, sleep: async () => {} },
    });
    expect(job.name).toBe('forecast-backtest');
    expect(() => validatePolicy(job.name, job.policy)).not.toThrow();
    expect(job.policy.windowMs).toBe(DAY);
  });
});
