/**
 * Which model production should run, pure: a candidate replaces gp-wiener only when at least a week of backtest
 * shows it significantly better than persistence at every horizon with honest 90% intervals.
 */
import { negligible, verdict, type BacktestRow } from './backtest.ts';

/** What the rule reads of a backtest row (stored rows carry no more). */
export type RuleRow = Pick<BacktestRow, 'model' | 'ratio' | 'coverage90'> & {
  dm: Pick<BacktestRow['dm'], 'stat' | 'p'>;
};

/** The shortest span of origins that counts as evidence, the DM significance level and the 90% coverage band. */
const RULES = { minDays: 7, alpha: 0.05, coverage: [0.85, 0.95] } as const;

/** The fallback: matches persistence's point forecasts, with a model-based interval. */
const FALLBACK_MODEL = 'gp-wiener';

export type Recommendation = { model: string; reason: string };

/** The model to run for one series, given its backtest rows over `spanMs` of origins. */
export function recommendModel(rows: readonly RuleRow[], spanMs: number): Recommendation {
  const [lo, hi] = RULES.coverage;
  const honest = (r: RuleRow) => r.coverage90 >= lo && r.coverage90 <= hi;
  const byModel = new Map<string, RuleRow[]>();
  for (const r of rows) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  const fallback = (why: string): Recommendation => {
    const f = byModel.get(FALLBACK_MODEL);
    const ok =
      f !== undefined && f.every((r) => (verdict(r, RULES.alpha) !== 'worse' || negligible(r)) && honest(r));
    return ok
      ? { model: FALLBACK_MODEL, reason: `${why}; ${FALLBACK_MODEL} is persistence-equivalent` }
      : { model: 'persistence', reason: `${why}; ${FALLBACK_MODEL} is not shown equivalent here` };
  };
  // Judged in tenths of a day, as reported: a week of origins, first to last, is a week less one stride.
  const tenths = Math.round(spanMs / 8_640_000);
  const days = (tenths / 10).toFixed(1);
  if (!(tenths >= RULES.minDays * 10))
    return fallback(`${days} days of origins is too short to choose a model (need ${RULES.minDays})`);
  let best: { model: string; ratio: number } | null = null;
  for (const [model, rs] of byModel) {
    if (model === 'persistence' || model === FALLBACK_MODEL) continue;
    if (!rs.every((r) => verdict(r, RULES.alpha) === 'better' && !negligible(r) && honest(r))) continue;
    const ratio = rs.reduce((a, r) => a + r.ratio, 0) / rs.length;
    if (!best || ratio < best.ratio) best = { model, ratio };
  }
  if (best)
    return {
      model: best.model,
      reason: `significantly better than persistence at every horizon over ${days} days (mean RMSE ratio ${best.ratio.toFixed(3)}) with 90% coverage in [${lo}, ${hi}]`,
    };
  return fallback(`no candidate beat persistence significantly at every horizon over ${days} days`);
}
