/**
 * A Db double for the dashboard's route tests: it records every statement and answers each named query of
 * sql/web.sql and sql/analytics.sql with canned rows (or an error), so a test can assert that a refused request
 * ran no SQL at all.
 */
import { DbUnavailable, type Db } from '../../../sql/db.ts';
import { analyticsQueries } from '../../../sql/analytics.ts';
import { webQueries } from '../../../sql/web.ts';
import { fixedChecks } from '../../../web/checks.ts';
import { makeApp } from '../../../web/app.tsx';
import type { Clock } from '../../../common/types.ts';

type Rows = Record<string, unknown>[];
export type Answers = Record<string, Rows | ((params: unknown[]) => Rows) | Error>;

const byText = new Map<string, string>();
/** Queries with `{slot}`s, matched by pattern and named `name:value,...` (`historyView:1d`). */
const bySlots: { re: RegExp; name: string }[] = [];
for (const q of [...webQueries().values(), ...analyticsQueries().values()]) {
  byText.set(q.sql, q.name);
  const escaped = q.sql.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  if (/\{\w+\}/.test(q.sql))
    bySlots.push({ re: new RegExp(`^${escaped.replace(/\{\w+\}/g, '(\\w+)')}$`), name: q.name });
}
const nameOf = (sql: string): string => {
  const named = byText.get(sql);
  if (named) return named;
  for (const { re, name } of bySlots) {
    const m = re.exec(sql);
    if (m) return `${name}:${m.slice(1).join(',')}`;
  }
  return `<unnamed: ${sql.slice(0, 40)}>`;
};

export function makeFakeDb(answers: Answers = {}) {
  const calls: { name: string; params: unknown[] }[] = [];
  let down: Error | null = null;
  const db: Db = {
    async query<R extends object>(sql: string, params: unknown[] = []) {
      const name = nameOf(sql);
      calls.push({ name, params });
      if (down) throw down;
      const a = answers[name];
      if (a instanceof Error) throw a;
      const rows = typeof a === 'function' ? a(params) : (a ?? []);
      return rows as R[];
    },
    end: async () => {},
  };
  return {
    db,
    calls,
    /** Make every query fail as a refused connection does (QuestDB down), or recover. */
    setDown(isDown: boolean) {
      down = isDown
        ? new DbUnavailable('QuestDB is not reachable: connect ECONNREFUSED 127.0.0.1:8812')
        : null;
    },
  };
}

export const NOW = Date.parse('2026-11-27T20:35:30Z');
export const fixedClock: Clock = { now: () => NOW, sleep: async () => {} };

const MIN = 60_000;
const t = (ms: number) => new Date(ms);

/** A small world: blockchain/USD and EUR with a day of data, forecasts, scores and health rows. */
export function sampleAnswers(): Answers {
  const last = Math.floor(NOW / MIN) * MIN - MIN;
  return {
    seriesKeys: [
      { source: 'blockchain', currency: 'USD' },
      { source: 'blockchain', currency: 'EUR' },
      { source: 'e2e-x', currency: 'GBP' },
    ],
    sourceIds: [{ id: 'blockchain' }, { id: 'coinbase' }, { id: 'e2e-x' }],
    currencyCodes: [{ code: 'USD' }, { code: 'EUR' }, { code: 'GBP' }, { code: 'JPY' }],
    hourly: Array.from({ length: 24 }, (_, i) => ({
      ts: t(Date.UTC(2026, 10, 26, 21) + i * 3_600_000),
      min_rate: 90_000 + i,
      max_rate: 90_100 + i,
      avg_rate: 90_050 + i,
      first_rate: 90_010,
      last_rate: 90_020,
      count: '60',
    })),
    daily: [
      {
        ts: t(Date.UTC(2026, 10, 26)),
        min_rate: 89_000,
        max_rate: 91_000,
        avg_rate: 90_000.5,
        first_rate: 89_500,
        last_rate: 90_500,
        count: '1440',
      },
    ],
    // blockchain's last two hours of minute rows, ending at 91,059 on the last whole minute.
    minuteRates: (params) =>
      params[0] !== 'blockchain'
        ? []
        : Array.from({ length: 120 }, (_, i) => ({ ts: t(last - (119 - i) * MIN), rate: 90_940 + i })).filter(
            (r) => r.ts >= new Date(String(params[2])) && r.ts < new Date(String(params[3])),
          ),
    latestRates: [
      { ts: t(last), currency: 'USD', rate: 91_059 },
      { ts: t(last), currency: 'EUR', rate: 84_000 },
    ],
    latestForecasts: [1, 5, 10].flatMap((h) =>
      ['gp', 'persistence'].map((model) => ({
        ts: t(last + h * MIN),
        made_at: t(last),
        horizon: h,
        model,
        mean: 91_060 + h,
        lo50: 91_050,
        hi50: 91_070 + h,
        lo90: 91_040,
        hi90: 91_080 + h,
        points: 60,
      })),
    ),
    latestScores: [
      {
        ts: t(last),
        span: '1h',
        model: 'gp',
        horizon: 1,
        n: '55',
        rmse: 8,
        mae: 6,
        skill: 0.123,
        coverage50: 0.5,
        coverage90: 0.9,
        width90: 30,
      },
    ],
    ping: [{ ok: 1 }],
    tableNames: [{ table_name: 'rates' }, { table_name: 'polls' }, { table_name: 'rejections' }],
    lastSuccessfulPolls: [
      { ts: t(last), source: 'blockchain', fetched_at: t(last + 400), latency_ms: 120, accepted: 25 },
    ],
    lastPolls: [
      { ts: t(last), source: 'blockchain', attempt: 1, http_status: 200, reason: null, error: null },
    ],
    rejectionsByReason: [
      { source: 'coinbase', reason: 'self_quote', n: '60', last_ts: t(last) },
      { source: 'blockchain', reason: 'http_status', n: '3', last_ts: t(last - 5 * MIN) },
    ],
    spoolDepth: [
      {
        ts: t(last),
        poller: 'main',
        channel: 'archive',
        files: 2,
        bytes: '8192',
        max_bytes: '536870912',
        full: false,
        lost: '0',
      },
    ],
    jobRunCounts: [{ job: 'view-health', status: 'ok', n: '12', last_started: t(last) }],
    recentJobRuns: [
      {
        ts: t(last - 5 * MIN),
        job: 'view-health',
        window_end: t(last),
        started_at: t(last),
        status: 'ok',
        duration_ms: 40,
        rows_touched: '0',
        error: null,
      },
    ],
  };
}

/** The app over a fake Db with the sample world (or `answers`), a fixed clock and reachable AWS checks. */
export function makeTestApp(answers: Answers = sampleAnswers()) {
  const fake = makeFakeDb(answers);
  const app = makeApp({
    db: fake.db,
    clock: fixedClock,
    checks: fixedChecks(true),
    config: { QUESTDB_HOST: '127.0.0.1', QUESTDB_HTTP_PORT: 9000, QUESTDB_CONSOLE_URL: '' },
  });
  return { app, ...fake };
}
