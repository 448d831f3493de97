/** Pure models over one series window: persistence, the baseline, and the production GP (a martingale prior). */
import { fitGp, white, wiener, sum, type GpModel } from './gp/index.ts';

/** Minutes since the window start (gaps are gaps) and rates; `related`: same-coin series for multi-output models. */
export type SeriesWindow = { x: Float64Array; y: Float64Array; related?: readonly RelatedWindow[] };

/** Another series' window on the target's x axis, up to the origin, named e.g. `coinbase/USD`. */
type RelatedWindow = { name: string; x: Float64Array; y: Float64Array };

/** A projection `horizon` minutes past the origin: predictive mean and standard deviation. */
export type Projection = { horizon: number; mean: number; sd: number };

export type Model = {
  name: string;
  /** Project to `originX + h` for each horizon h (originX: the forecast's "now", in the window's minutes). */
  project(w: SeriesWindow, originX: number, horizons: readonly number[]): Projection[];
  /** The related series the last `project` used, each with its lead over the target in minutes. */
  lastRelated?(): readonly { name: string; lead: number }[];
};

/** A reason's numeric detail, such as "(5 < 10)": left out when reasons are counted together. */
export const REASON_DETAIL = /\s*\(([^)]*\d[^)]*)\)/;

/** Why a window is not forecast; null when it is usable. Pure. */
export function unusable(w: SeriesWindow, minPoints: number): string | null {
  if (w.x.length < minPoints) return `too few points (${w.x.length} < ${minPoints})`;
  const first = w.y[0]!;
  if (w.y.every((v) => v === first)) return 'flat series (every rate equal)';
  return null;
}

/** Standard deviation of one-minute increments: consecutive differences over √Δt, so a gap is no one-minute move. */
export function incrementSd(w: SeriesWindow): number {
  let n = 0;
  let s = 0;
  for (let i = 1; i < w.x.length; i++) {
    const dt = w.x[i]! - w.x[i - 1]!;
    if (dt <= 0) continue;
    const z = (w.y[i]! - w.y[i - 1]!) / Math.sqrt(dt);
    s += z * z;
    n++;
  }
  return n > 0 ? Math.sqrt(s / n) : 0;
}

/** Persistence: the last value, with a random-walk interval σ·√(time since the last observation + h). */
export const persistence: Model = {
  name: 'persistence',
  project(w, originX, horizons) {
    const last = w.y[w.y.length - 1]!;
    const lastX = w.x[w.x.length - 1]!;
    const sd = incrementSd(w);
    return horizons.map((h) => ({ horizon: h, mean: last, sd: sd * Math.sqrt(originX + h - lastX) }));
  },
};

/** The production GP's fit of one window: Wiener + white on rates anchored at the first, seeded restarts. */
export function fitWiener(w: SeriesWindow, restarts = 2): GpModel {
  const kernel = sum(
    wiener({ anchor: w.x[0]!, variance: { value: 1, bounds: [1e-6, 1e6] } }),
    white({ noise: { value: 1e-2, bounds: [1e-10, 1e3] } }),
  );
  return fitGp({ x: w.x, y: w.y, kernel, normalize: 'anchor', optimizer: { restarts }, seed: 1 });
}

/** Means and marginal sds of a fitted GP at originX + h. */
export function projectGp(model: GpModel, originX: number, horizons: readonly number[]): Projection[] {
  const p = model.predict(horizons.map((h) => originX + h));
  const m = horizons.length;
  return horizons.map((h, i) => ({
    horizon: h,
    mean: p.mean[i]!,
    sd: Math.sqrt(Math.max(0, p.cov[i * m + i]!)),
  }));
}

/** The production GP (`fitWiener`): a martingale forecast with an honest √h interval. */
export const gpWiener: Model = {
  name: 'gp-wiener',
  project: (w, originX, horizons) => projectGp(fitWiener(w), originX, horizons),
};

/** The models the forecaster runs, baseline first. */
export const PRODUCTION_MODELS: readonly Model[] = [persistence, gpWiener];

/** Normal quantiles for the central 50% and 90% intervals. */
export const Z50 = 0.6744897501960817;
export const Z90 = 1.6448536269514722;
