/** The forecaster's minute: every series' last hour projected by each model, or skipped with a reason. */
import type { Log } from '../common/log.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { TABLES, writeRows, type ForecastRow } from '../sql/tables.ts';
import type { Job } from '../jobs/runner.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { PRODUCTION_MODELS, REASON_DETAIL, unusable, Z50, Z90, type Model } from './models.ts';
import { makePromotion } from './promotion.ts';
import { groupSeries, type RateRow } from './series.ts';

type Promotion = ReturnType<typeof makePromotion>;

const Q = loadQueries('./forecast.sql', new URL('../sql/', import.meta.url));

const HORIZONS = [1, 5, 10] as const;
export const WINDOW_MINUTES = 60;
export const MIN_POINTS = 10;
/** A series whose last rate is older than this is not projected (its source has stopped). */
const MAX_STALENESS_MINUTES = 10;

type Skip = { source: string; currency: string; model: string | null; reason: string };

/**
 * Forecast every series of `rows` at origin minute `origin` (epoch ms), with `promoted` models (by series id) run
 * after the others on the window and its related series. Pure apart from timing.
 */
export function forecastAll(
  rows: RateRow[],
  origin: number,
  models: readonly Model[] = PRODUCTION_MODELS,
  promoted: ReadonlyMap<string, Model> = new Map(),
): { forecasts: ForecastRow[]; skipped: Skip[] } {
  const windowStart = origin - WINDOW_MINUTES * 60_000;
  const forecasts: ForecastRow[] = [];
  const skipped: Skip[] = [];
  const originX = WINDOW_MINUTES;
  const all = groupSeries(rows, windowStart);
  for (const s of all) {
    const stale = (origin - s.lastTs) / 60_000 > MAX_STALENESS_MINUTES;
    const why = stale ? `no rate for ${MAX_STALENESS_MINUTES}+ minutes` : unusable(s.window, MIN_POINTS);
    const key = { source: s.source, currency: s.currency };
    if (why) {
      skipped.push({ ...key, model: null, reason: why });
      continue;
    }
    const extra = promoted.get(`${s.source}/${s.currency}`);
    if (extra)
      s.window.related = all
        .filter((o) => o !== s)
        .map((o) => ({ name: `${o.source}/${o.currency}`, ...o.window }));
    for (const model of extra ? [...models, extra] : models) {
      const t0 = performance.now();
      try {
        const projections = model.project(s.window, originX, HORIZONS);
        const fitMs = performance.now() - t0;
        const lead = model.lastRelated?.()[0];
        for (const p of projections) {
          if (!Number.isFinite(p.mean) || !Number.isFinite(p.sd))
            throw new Error(`non-finite projection at +${p.horizon}`);
          forecasts.push({
            ts: origin + p.horizon * 60_000,
            madeAt: origin,
            horizon: p.horizon,
            ...key,
            model: model.name,
            mean: p.mean,
            lo50: p.mean - Z50 * p.sd,
            hi50: p.mean + Z50 * p.sd,
            lo90: p.mean - Z90 * p.sd,
            hi90: p.mean + Z90 * p.sd,
            points: s.window.x.length,
            fitMs,
            leadSeries: lead?.name ?? null,
            leadMinutes: lead?.lead ?? null,
          });
        }
      } catch (err) {
        skipped.push({ ...key, model: model.name, reason: `fit failed: ${(err as Error).message}` });
      }
    }
  }
  return { forecasts, skipped };
}

type Deps = { db: Db; ilp: Ilp; log: Log; sources?: readonly string[]; promote?: Promotion };

/** One forecasting round: read, fit, write (DEDUP keys make a re-run harmless). Returns counts for the log. */
export async function runForecastMinute(deps: Deps, origin: number) {
  const t0 = performance.now();
  const from = new Date(origin - WINDOW_MINUTES * 60_000).toISOString();
  const all = await deps.db.query<RateRow>(pick(Q, 'recentRates'), [from, new Date(origin).toISOString()]);
  const only = deps.sources?.length ? new Set(deps.sources) : null;
  const rows = only ? all.filter((r) => only.has(r.source)) : all;
  const keys = [...new Map(rows.map((r) => [`${r.source}/${r.currency}`, r])).values()];
  const promoted = deps.promote ? await deps.promote(origin, keys) : undefined;
  const { forecasts, skipped } = forecastAll(rows, origin, PRODUCTION_MODELS, promoted);
  // Each skip at debug; the round's line at info groups them by reason (a new install skips hundreds a minute).
  for (const s of skipped)
    deps.log.debug({ source: s.source, currency: s.currency, model: s.model }, `skipped: ${s.reason}`);
  if (forecasts.length) await deps.ilp.write((s) => writeRows(s, TABLES.forecasts, forecasts));
  const series = new Set(forecasts.map((f) => `${f.source}/${f.currency}`)).size;
  const skips = summarizeSkips(skipped);
  const ms = Math.round(performance.now() - t0);
  return { series, forecasts: forecasts.length, skipped: skipped.length, skips, ms };
}

/** Origins missed while QuestDB was down are caught up (at most an hour of them), oldest first. */
export const FORECAST_POLICY = {
  windowMs: 60_000,
  catchUp: 'each',
  maxLookbackMs: 3_600_000,
  maxBatch: 60,
} as const;

/** The forecaster's minute as a job: window [m − 1 min, m) is forecast from origin m, `delayMs` after m. */
export function makeForecastJob(deps: Deps, delayMs: number): Job {
  const promote = makePromotion(deps.db, HORIZONS);
  return {
    name: 'forecast',
    policy: { ...FORECAST_POLICY, delayMs },
    async run({ window, log }) {
      const r = await runForecastMinute({ ...deps, log, promote }, window.end);
      log.info({ origin: new Date(window.end).toISOString(), ...r }, 'forecast round');
      return { rows: r.forecasts };
    },
  };
}

/** Skips grouped by reason, with a few examples each and their detail: one log line per round. */
export function summarizeSkips(skipped: Skip[]): Record<string, { count: number; examples: string[] }> {
  const out: Record<string, { count: number; examples: string[] }> = {};
  for (const s of skipped) {
    const detail = REASON_DETAIL.exec(s.reason);
    const e = (out[detail ? s.reason.replace(REASON_DETAIL, '') : s.reason] ??= { count: 0, examples: [] });
    e.count++;
    const name = `${s.source}/${s.currency}${s.model ? `/${s.model}` : ''}`;
    if (e.examples.length < 3) e.examples.push(detail ? `${name} (${detail[1]})` : name);
  }
  return out;
}
