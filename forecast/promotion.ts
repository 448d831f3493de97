/** Production follows the promotion rule: gp-icm runs live for a series only when its latest daily backtest chose it. */
import type { Db } from '../sql/db.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { readSeries, trackingSeries, type SeriesKey } from './backtest-store.ts';
import type { Model } from './models.ts';
import { gpIcm } from './multi.ts';
import { recommendModel } from './selection.ts';

const Q = loadQueries('./backtest.sql', new URL('../sql/', import.meta.url));
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A `backtests` row as `latestDailyBacktests` reads it; NULL statistics stay null. */
export type StoredBacktest = {
  ts: Date;
  source: string;
  currency: string;
  model: string;
  from_ts: Date;
  to_ts: Date;
  rmse_ratio: number | null;
  dm_stat: number | null;
  dm_p: number | null;
  coverage90: number | null;
};

/** Per series (`source/currency`), the model `recommendModel` picks from the rows of its newest run. Pure. */
export function chooseModels(rows: readonly StoredBacktest[]): Map<string, string> {
  const bySeries = new Map<string, StoredBacktest[]>();
  for (const r of rows) {
    const id = `${r.source}/${r.currency}`;
    bySeries.set(id, [...(bySeries.get(id) ?? []), r]);
  }
  const num = (v: number | null) => (v === null ? NaN : Number(v));
  const out = new Map<string, string>();
  for (const [id, all] of bySeries) {
    const newest = Math.max(...all.map((r) => r.ts.getTime()));
    const run = all.filter((r) => r.ts.getTime() === newest);
    const rule = run.map((r) => ({
      model: r.model,
      ratio: num(r.rmse_ratio),
      coverage90: num(r.coverage90),
      dm: { stat: num(r.dm_stat), p: num(r.dm_p) },
    }));
    out.set(id, recommendModel(rule, run[0]!.to_ts.getTime() - run[0]!.from_ts.getTime()).model);
  }
  return out;
}

/**
 * The promoted models of a round, per series id: gp-icm, trained on the day before the origin at most every 6 h.
 * The choices are re-read once an hour; series not promoted cost no reads.
 */
export function makePromotion(db: Db, horizons: readonly number[]) {
  let choices = { hour: NaN, models: new Map<string, string>() };
  const trained = new Map<string, { period: number; model: Model }>();
  return async (origin: number, keys: readonly SeriesKey[]): Promise<Map<string, Model>> => {
    const iso = (t: number) => new Date(t).toISOString();
    const hour = Math.floor(origin / HOUR);
    if (hour !== choices.hour) {
      const rows = await db.query<StoredBacktest>(pick(Q, 'latestDailyBacktests'), [
        iso(origin - 8 * DAY),
        iso(origin),
      ]);
      choices = { hour, models: chooseModels(rows) };
    }
    const out = new Map<string, Model>();
    for (const key of keys) {
      const id = `${key.source}/${key.currency}`;
      const related = trackingSeries(keys, key);
      if (choices.models.get(id) !== gpIcm.name || related.length === 0) continue;
      const period = Math.floor(origin / (6 * HOUR));
      let t = trained.get(id);
      if (t?.period !== period) {
        const [target, ...others] = await Promise.all(
          [key, ...related].map((k) => readSeries(db, k, origin - DAY, origin)),
        );
        let model: Model;
        try {
          model = gpIcm.train({ target: target!, related: others }, origin, [...horizons]);
        } catch (err) {
          const why = new Error(`training failed: ${(err as Error).message}`);
          model = {
            name: gpIcm.name,
            project: () => {
              throw why;
            },
          };
        }
        trained.set(id, (t = { period, model }));
      }
      out.set(id, t.model);
    }
    return out;
  };
}
