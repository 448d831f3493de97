/**
 * Backtests, pure apart from timing: every model forecasts from rolling windows of one series (the hour before
 * each origin, on a real-time axis, gaps kept), and is scored per horizon against the observed rate of the
 * target minute and against persistence on exactly the same origins — RMSE and its ratio to persistence, a
 * Diebold–Mariano test of the difference (dm.ts: positive = worse than persistence), 50% and 90% interval
 * coverage, mean 90% width and mean fit time. Nothing after an origin reaches a model: the window and every
 * related series are cut at the origin. Every origin of the grid is accounted for per horizon: scored, or why not.
 */
import { dieboldMariano, hacLag, type DmResult } from './dm.ts';
import { persistence, REASON_DETAIL, unusable, Z50, Z90 } from './models.ts';
import type { Model, Projection, SeriesWindow } from './models.ts';

/** A series of observations: epoch ms (ascending, on minutes) and values. */
export type TimeSeries = { name: string; t: Float64Array; y: Float64Array };

/** A model that learns on the history before an origin (gp-icm: leads, interval scales); `train` returns it trained. */
export type Trainable = {
  train(
    history: { target: TimeSeries; related: readonly TimeSeries[] },
    origin: number,
    horizons: number[],
  ): Model;
};

export type BacktestOptions = {
  /** Candidate models; persistence, the baseline, is added first when missing. */
  models: readonly Model[];
  horizons?: readonly number[];
  windowMinutes?: number;
  /** Minutes between consecutive origins. */
  stride?: number;
  minPoints?: number;
  maxStalenessMinutes?: number;
  /** A `Trainable` model is retrained when an origin enters a new period of this many minutes. Default 360. */
  retrainMinutes?: number;
  /** Origins in [from, to) (epoch ms); default: every origin the data allows (see `originGrid`). */
  from?: number;
  to?: number;
};

/** One model at one horizon over the paired origins (those where it and persistence both forecast). */
export type BacktestRow = {
  model: string;
  horizon: number;
  origins: number;
  rmse: number;
  /** RMSE ÷ RMSE of persistence on the same origins. */
  ratio: number;
  dm: DmResult;
  coverage50: number;
  coverage90: number;
  width90: number;
  /** Mean time of one `project` call (all horizons at once), ms. */
  fitMs: number;
  /** Origins where the model threw or returned a non-finite projection. */
  failures: number;
};

/** Why an origin was not scored at one horizon. */
export type UnscoredReason =
  | 'window empty or stale'
  | 'window too short'
  | 'window flat'
  | 'no rate at the target minute'
  | 'baseline failed';

/** One horizon's origins: tried = scored + the sum of unscored. */
export type OriginAccount = {
  horizon: number;
  tried: number;
  scored: number;
  unscored: Partial<Record<UnscoredReason, number>>;
};

/** A model's use of related series: windows forecast, and per series and lead the windows it was used in. */
export type RelatedUsage = {
  windows: number;
  used: { name: string; lead: number; windows: number }[];
};

export type BacktestResult = {
  target: string;
  related: string[];
  stride: number;
  /** First and last origin evaluated, epoch ms (NaN when none). */
  from: number;
  to: number;
  /** Origins tried, and those skipped before any model ran, by reason. */
  origins: number;
  skipped: Record<string, number>;
  /** Per horizon: origins tried, scored (by persistence, the baseline every row is paired with), and why not. */
  accounting: OriginAccount[];
  /** Per related series: usable origins where its window had fewer than `minPoints` observations. */
  relatedMissing: Record<string, number>;
  /** For models that report it (gp-icm), which related series they used at which lead. */
  relatedUse: Record<string, RelatedUsage>;
  rows: BacktestRow[];
  /** Every `project` time per model, ms, for distributions (the bench's p50/p95). */
  fitTimes: Record<string, number[]>;
};

const MIN = 60_000;

/** Index of the first t[i] > v (t ascending). */
function upperBound(t: Float64Array, v: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The observations in (start, origin] on minutes since `start`. */
export function windowOf(s: TimeSeries, start: number, origin: number): { x: Float64Array; y: Float64Array } {
  const a = upperBound(s.t, start);
  const b = upperBound(s.t, origin);
  return { x: Float64Array.from(s.t.subarray(a, b), (t) => (t - start) / MIN), y: s.y.slice(a, b) };
}

/** The value at exactly `ts`, if observed. */
export function valueAt(s: TimeSeries, ts: number): number | undefined {
  const i = upperBound(s.t, ts) - 1;
  return i >= 0 && s.t[i] === ts ? s.y[i] : undefined;
}

/**
 * The origins of a backtest: every `stride` minutes on a grid fixed to the Unix epoch (so it does not depend on
 * where the data read begins), from the first minute with a full window of data (or `from`) to the last minute
 * with an observation `minHorizon` ahead (or before `to`). The CSV and QuestDB modes both use it. Pure.
 */
export function originGrid(
  t: Float64Array,
  o: { windowMinutes: number; minHorizon: number; stride: number; from?: number; to?: number },
): { first: number; count: number; step: number } {
  const step = o.stride * MIN;
  const n = t.length;
  if (n === 0) return { first: NaN, count: 0, step };
  let lo = t[0]! + (o.windowMinutes - 1) * MIN;
  if (o.from !== undefined) lo = Math.max(lo, o.from);
  const end = Math.min(t[n - 1]! - o.minHorizon * MIN + 1, o.to ?? Infinity);
  const first = Math.ceil(lo / step) * step;
  return { first, count: end > first ? Math.ceil((end - first) / step) : 0, step };
}

type Acc = { e: number[]; base: number[]; in50: number; in90: number; width: number };

/**
 * The backtest as steps: yields after each origin with progress, returns the result. Callers that must stay
 * responsive (a job, a CLI drawing progress) can pause between steps; `runBacktest` runs it straight through.
 */
export function* backtestSteps(
  input: { target: TimeSeries; related?: readonly TimeSeries[] },
  options: BacktestOptions,
): Generator<{ done: number; total: number }, BacktestResult> {
  const { target } = input;
  const related = input.related ?? [];
  const horizons = options.horizons ?? [1, 5, 10];
  const wMin = options.windowMinutes ?? 60;
  const stride = options.stride ?? 1;
  const minPoints = options.minPoints ?? 10;
  const staleMs = (options.maxStalenessMinutes ?? 10) * MIN;
  const retrainMs = (options.retrainMinutes ?? 360) * MIN;
  const models = options.models.some((m) => m.name === persistence.name)
    ? [...options.models].sort(
        (a, b) => Number(b.name === persistence.name) - Number(a.name === persistence.name),
      )
    : [persistence, ...options.models];
  if (!Number.isInteger(stride) || stride < 1)
    throw new RangeError(`stride must be a whole number ≥ 1, got ${stride}`);

  const grid = originGrid(target.t, {
    windowMinutes: wMin,
    minHorizon: Math.min(...horizons),
    stride,
    from: options.from,
    to: options.to,
  });
  const total = grid.count;

  const acc = new Map<string, Acc>();
  const failures = new Map<string, number>(models.map((m) => [m.name, 0]));
  const fitTimes: Record<string, number[]> = Object.fromEntries(models.map((m) => [m.name, []]));
  for (const m of models)
    for (const h of horizons) acc.set(`${m.name}|${h}`, { e: [], base: [], in50: 0, in90: 0, width: 0 });
  const skipped: Record<string, number> = {};
  const accounting: OriginAccount[] = horizons.map((h) => ({
    horizon: h,
    tried: total,
    scored: 0,
    unscored: {},
  }));
  const unscored = (i: number, why: UnscoredReason) => {
    const u = accounting[i]!.unscored;
    u[why] = (u[why] ?? 0) + 1;
  };
  const relatedMissing: Record<string, number> = Object.fromEntries(related.map((r) => [r.name, 0]));
  const relatedUse: Record<string, RelatedUsage> = {};
  const useCounts = new Map<string, Map<string, { name: string; lead: number; windows: number }>>();
  let lo = NaN;
  let hi = NaN;
  const trained = new Map<string, { model: Model; period: number }>();
  /** The model for an origin: a trainable one trained on the series cut at the origin, once per period. */
  const current = (m: Model, origin: number): Model => {
    if (!('train' in m)) return m;
    const period = Math.floor(origin / retrainMs);
    const t = trained.get(m.name);
    if (t?.period === period) return t.model;
    const cut = (s: TimeSeries) => {
      const n = upperBound(s.t, origin);
      return { name: s.name, t: s.t.subarray(0, n), y: s.y.subarray(0, n) };
    };
    const history = { target: cut(target), related: related.map(cut) };
    const model = (m as Model & Trainable).train(history, origin, [...horizons]);
    trained.set(m.name, { model, period });
    return model;
  };

  for (let k = 0; k < total; k++) {
    const origin = grid.first + k * grid.step;
    const start = origin - wMin * MIN;
    const w: SeriesWindow = windowOf(target, start, origin);
    const lastX = w.x[w.x.length - 1];
    const why =
      lastX === undefined || start + lastX * MIN < origin - staleMs
        ? 'stale or empty window'
        : unusable(w, minPoints);
    if (why) {
      const key = why.replace(REASON_DETAIL, '');
      skipped[key] = (skipped[key] ?? 0) + 1;
      const reason: UnscoredReason = why.startsWith('too few')
        ? 'window too short'
        : why.startsWith('flat')
          ? 'window flat'
          : 'window empty or stale';
      horizons.forEach((_, i) => unscored(i, reason));
      yield { done: k + 1, total };
      continue;
    }
    if (related.length) {
      w.related = related.map((r) => ({ name: r.name, ...windowOf(r, start, origin) }));
      for (const r of w.related) if (r.x.length < minPoints) relatedMissing[r.name]!++;
    }
    const actual = horizons.map((h) => valueAt(target, origin + h * MIN));
    let base: Projection[] | null = null;
    for (const model of models) {
      const t0 = performance.now();
      let p: Projection[];
      let m = model;
      try {
        m = current(model, origin);
        p = m.project(w, wMin, horizons);
        if (p.some((q) => !Number.isFinite(q.mean) || !Number.isFinite(q.sd))) throw new Error('non-finite');
      } catch {
        failures.set(m.name, failures.get(m.name)! + 1);
        if (m.name === persistence.name) break;
        continue;
      }
      fitTimes[m.name]!.push(performance.now() - t0);
      if (m.lastRelated) {
        const use = (relatedUse[m.name] ??= { windows: 0, used: [] });
        use.windows++;
        const counts = useCounts.get(m.name) ?? new Map();
        useCounts.set(m.name, counts);
        for (const r of m.lastRelated()) {
          const key = `${r.name}\u0000${r.lead}`;
          const c = counts.get(key) ?? { name: r.name, lead: r.lead, windows: 0 };
          c.windows++;
          counts.set(key, c);
        }
      }
      base ??= p;
      horizons.forEach((h, i) => {
        const a = actual[i];
        if (a === undefined) return;
        const q = p[i]!;
        const r = acc.get(`${m.name}|${h}`)!;
        const e = q.mean - a;
        r.e.push(e);
        r.base.push(base![i]!.mean - a);
        if (Math.abs(e) <= Z50 * q.sd) r.in50++;
        if (Math.abs(e) <= Z90 * q.sd) r.in90++;
        r.width += 2 * Z90 * q.sd;
      });
    }
    horizons.forEach((_, i) => {
      if (!base) unscored(i, 'baseline failed');
      else if (actual[i] === undefined) unscored(i, 'no rate at the target minute');
      else accounting[i]!.scored++;
    });
    if (base) {
      lo = Number.isNaN(lo) ? origin : lo;
      hi = origin;
    }
    yield { done: k + 1, total };
  }

  for (const [name, counts] of useCounts)
    relatedUse[name]!.used = [...counts.values()].sort((a, b) => b.windows - a.windows || a.lead - b.lead);
  const rows: BacktestRow[] = [];
  for (const m of models) {
    const times = fitTimes[m.name]!;
    const fitMs = times.length ? times.reduce((a, b) => a + b, 0) / times.length : NaN;
    for (const h of horizons) {
      const r = acc.get(`${m.name}|${h}`)!;
      const count = r.e.length;
      const sse = r.e.reduce((a, e) => a + e * e, 0);
      const sseBase = r.base.reduce((a, e) => a + e * e, 0);
      const d = Float64Array.from(r.e, (e, i) => e * e - r.base[i]! ** 2);
      rows.push({
        model: m.name,
        horizon: h,
        origins: count,
        rmse: Math.sqrt(sse / count),
        ratio: Math.sqrt(sse / sseBase),
        dm: dieboldMariano(d, { lag: hacLag(h, stride) }),
        coverage50: r.in50 / count,
        coverage90: r.in90 / count,
        width90: r.width / count,
        fitMs,
        failures: failures.get(m.name)!,
      });
    }
  }
  return {
    target: target.name,
    related: related.map((r) => r.name),
    stride,
    from: lo,
    to: hi,
    origins: total,
    skipped,
    accounting,
    relatedMissing,
    relatedUse,
    rows,
    fitTimes,
  };
}

/** Run a backtest to the end (see `backtestSteps`). */
export function runBacktest(
  input: { target: TimeSeries; related?: readonly TimeSeries[] },
  options: BacktestOptions,
): BacktestResult {
  const steps = backtestSteps(input, options);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

/**
 * A difference too small to matter even when the DM test finds it: |RMSE ratio − 1| < 0.05%. A model that
 * reproduces persistence to within rounding (gp-wiener) can differ from it consistently by a hair, and with
 * thousands of origins the test notices; the table says so instead of calling it a loss.
 */
export function negligible(row: Pick<BacktestRow, 'ratio'>): boolean {
  return Math.abs(row.ratio - 1) < 5e-4;
}

/** 'better' / 'worse' when the DM test rejects equal accuracy at `alpha` (two-sided), else 'same'. */
export function verdict(row: { dm: { stat: number; p: number } }, alpha = 0.05): 'better' | 'worse' | 'same' {
  if (!(row.dm.p < alpha)) return 'same';
  return row.dm.stat < 0 ? 'better' : 'worse';
}

/**
 * Run a backtest while staying responsive: progress every `everyMs` and a turn of the event loop with it, and
 * an abort between origins (a job being stopped, Ctrl-C).
 */
export async function runBacktestYielding(
  input: { target: TimeSeries; related?: readonly TimeSeries[] },
  options: BacktestOptions,
  control: {
    onProgress?: (done: number, total: number) => void;
    signal?: AbortSignal;
    everyMs?: number;
  } = {},
): Promise<BacktestResult> {
  const steps = backtestSteps(input, options);
  let last = performance.now();
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
    if (performance.now() - last >= (control.everyMs ?? 100)) {
      last = performance.now();
      control.onProgress?.(s.value.done, s.value.total);
      await new Promise((r) => setImmediate(r));
      if (control.signal?.aborted) throw new Error('backtest aborted', { cause: control.signal.reason });
    }
  }
}
