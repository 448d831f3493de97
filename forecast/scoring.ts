/** Live scoring of matured forecasts per series, model, horizon and rolling span into `forecast_scores`. */
import type { Clock } from '../common/types.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { TABLES, writeRows, type ScoreRow } from '../sql/tables.ts';
import type { Job } from '../jobs/runner.ts';

const Q = loadQueries('./forecast.sql', new URL('../sql/', import.meta.url));

const SPANS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type Span = keyof typeof SPANS;

/** One model's statistics over one span, with persistence's RMSE on the same minutes, before skill is attached. */
type SpanScore = Omit<ScoreRow, 'ts' | 'span' | 'skill'> & { baseRmse: number };
export type Scored = SpanScore & { span: Span; skill: number | null };

/** Attach skill = 1 − RMSE / RMSE of persistence on the same minutes. Pure. */
export function withSkill(rows: SpanScore[], span: Span): Scored[] {
  return rows.map((r) => ({ ...r, span, skill: r.baseRmse > 0 ? 1 - r.rmse / r.baseRmse : null }));
}

/** Score every span ending at `end` and write the rows; returns how many were written. */
export async function scoreAt(deps: { db: Db; ilp: Ilp }, end: number): Promise<number> {
  const out: Scored[] = [];
  for (const [span, ms] of Object.entries(SPANS) as [Span, number][]) {
    const range = [new Date(end - ms).toISOString(), new Date(end).toISOString()];
    type Column = Exclude<keyof SpanScore, 'baseRmse'> | 'base_rmse';
    const rows = await deps.db.query<Record<Column, string | number>>(pick(Q, 'scoreSpan'), range);
    // LONG and DOUBLE columns arrive as strings or numbers over the PG wire: make them numbers once, here.
    const typed = rows.map((r) => ({
      source: String(r.source),
      currency: String(r.currency),
      model: String(r.model),
      horizon: Number(r.horizon),
      n: Number(r.n),
      rmse: Number(r.rmse),
      baseRmse: Number(r.base_rmse),
      mae: Number(r.mae),
      coverage50: Number(r.coverage50),
      coverage90: Number(r.coverage90),
      width90: Number(r.width90),
    }));
    out.push(...withSkill(typed, span));
  }
  const rows = out.map((r) => ({ ...r, ts: end }));
  if (rows.length > 0) await deps.ilp.write((s) => writeRows(s, TABLES.scores, rows));
  return rows.length;
}

/** The scoring job: every 5 minutes, the spans ending at the window's end. */
export function makeScoringJob(deps: { db: Db; ilp: Ilp; clock: Clock }): Job {
  return {
    name: 'forecast-scoring',
    policy: {
      windowMs: 5 * 60_000,
      delayMs: 60_000,
      catchUp: 'latest',
      maxLookbackMs: 5 * 60_000,
      maxBatch: 1,
    },
    run: async ({ window }) => ({ rows: await scoreAt(deps, window.end) }),
  };
}
