/**
 * A multi-output GP (intrinsic coregionalization model) that forecasts one series from its own window and a
 * related series of the same coin whose lead and usefulness were learned on the day before (`train`).
 *
 * Each output s is normalized (minus its first value, over the sd of its one-minute increments) and observed at
 * latent time u = x − δ_s (δ_target = 0, δ = −lead for the related series):
 *   f_s(u) = w_s·g(u) + a_s(u),  y_s = f_s(u) + ε_s,  ε_s ~ N(0, σ_s²),
 * g a standard Wiener process (shared), a_s independent random walks with variance κ_s per minute and a diffuse
 * level, so K = B ⊗ k_Wiener with B = wwᵀ + diag(κ). Every term is a random walk, so a Kalman filter gives the
 * exact likelihood and posterior (icm-filter.ts). The filter sees each series' staleness: the target's value at
 * the origin is its last observation moved by what the related series did since, weighted by the fitted loadings.
 *
 * Per window, each output's noise and one-minute variance come from its own production Wiener fit and w, κ by
 * maximum likelihood. Per training (the day before the origin): the related series' lead (0..`maxLead`, by the
 * correlation of moves), whether it is used at all, and per horizon a scale that calibrates the 90% interval on
 * the training span's own forecasts. Untrained, or with no series used, the mean is exactly gp-wiener's.
 */
import { type GpModel, minimizeBounded } from './gp/index.ts';
import { valueAt, windowOf, type TimeSeries, type Trainable } from './backtest.ts';
import { buildData, icmFilter, LEVEL_VARIANCE, type IcmParams } from './icm-filter.ts';
import { fitWiener, incrementSd, projectGp, unusable, Z90 } from './models.ts';
import type { Model, Projection, SeriesWindow } from './models.ts';

/** One output: its normalized window and its own Wiener fit's increment and noise variances (normalized units). */
type Output = {
  name: string;
  x: Float64Array;
  z: Float64Array;
  offset: number;
  scale: number;
  q: number;
  noise: number;
};

/** Smallest noise variance the filter uses: below it rounding, not information, decides. */
const NOISE_FLOOR = 1e-6;

/** Normalize a window and read its marginal dynamics off the production Wiener fit. */
function makeOutput(name: string, w: SeriesWindow, model: GpModel): Output | null {
  const scale = incrementSd(w);
  if (!(scale > 0) || w.x.length < 2) return null;
  const s2 = (model.normalization.scale / scale) ** 2;
  return {
    name,
    x: w.x,
    z: w.y.map((v) => (v - w.y[0]!) / scale),
    offset: w.y[0]!,
    scale,
    q: Math.max(1e-6, model.params[0]!.value * s2),
    noise: Math.max(NOISE_FLOOR, model.params[1]!.value * s2),
  };
}

/** Filter parameters from θ = [log w_1..w_S, log κ_1..κ_S]; noise stays at each output's own fit. */
function paramsFrom(outputs: readonly Output[], theta: Float64Array): IcmParams {
  const S = outputs.length;
  return {
    w: Float64Array.from(outputs, (_, s) => Math.exp(theta[s]!)),
    kappa: Float64Array.from(outputs, (_, s) => Math.exp(theta[S + s]!)),
    noise: Float64Array.from(outputs, (o) => o.noise),
    level: LEVEL_VARIANCE,
  };
}

/**
 * Maximum-likelihood loadings w and idiosyncratic variances κ for fixed shifts: bounded L-BFGS in log space
 * with forward-difference gradients, from 90% of each output's increment variance on the shared process.
 */
function fitShared(outputs: readonly Output[], shifts: readonly number[]): Float64Array {
  const data = buildData(outputs, shifts);
  const S = outputs.length;
  const logs = (f: (o: Output) => number) => outputs.map((o) => Math.log(f(o)));
  const start = Float64Array.from([...logs((o) => Math.sqrt(0.9 * o.q)), ...logs((o) => 0.1 * o.q)]);
  const lower = Float64Array.from([...logs((o) => Math.sqrt(1e-6 * o.q)), ...logs((o) => 1e-8 * o.q)]);
  const upper = Float64Array.from([...logs((o) => Math.sqrt(100 * o.q)), ...logs((o) => 10 * o.q)]);
  const negLml = (theta: Float64Array) => -icmFilter(data, paramsFrom(outputs, theta)).lml;
  const t = new Float64Array(2 * S);
  const r = minimizeBounded(
    (theta, grad) => {
      const f = negLml(theta);
      t.set(theta);
      for (let i = 0; i < 2 * S; i++) {
        const h = theta[i]! + 1e-6 > upper[i]! ? -1e-6 : 1e-6;
        t[i] = theta[i]! + h;
        grad[i] = (negLml(t) - f) / h;
        t[i] = theta[i]!;
      }
      return f;
    },
    start,
    lower,
    upper,
    { gtol: 1e-3, ftol: 1e-9, maxIterations: 60 },
  );
  return r.x;
}

/** A related series the model uses, and the minutes it runs ahead of the target. */
export type Lead = { name: string; lead: number };

export type IcmFit = {
  /** The target alone (the production Wiener fit), used when no related series is usable in the window. */
  own: GpModel;
  outputs: readonly Output[];
  shifts: number[];
  /** Fitted log loadings and log idiosyncratic variances (see `paramsFrom`), target first. */
  theta: Float64Array;
};

/** Fit the ICM to a target window and, when given and present with `minPoints`, the related series at its lead. */
export function fitIcm(w: SeriesWindow, use: Lead | null, minPoints = 10): IcmFit {
  const own = fitWiener(w);
  const fit: IcmFit = { own, outputs: [], shifts: [], theta: new Float64Array(0) };
  const r = use && w.related?.find((s) => s.name === use.name);
  const target = makeOutput('target', w, own);
  if (!r || !target || r.x.length < minPoints) return fit;
  let o: Output | null = null;
  try {
    o = makeOutput(r.name, r, fitWiener(r, 0));
  } catch {
    // An unusable related window is simply not used.
  }
  if (!o) return fit;
  const outputs = [target, o];
  const shifts = [0, -use.lead];
  return { own, outputs, shifts, theta: fitShared(outputs, shifts) };
}

/** Linear interpolation of (x, z) at t, or NaN outside the observed range (the Wiener posterior mean between points). */
function interpolate(x: Float64Array, z: Float64Array, t: number): number {
  const n = x.length;
  if (n === 0 || t < x[0]! || t > x[n - 1]!) return NaN;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= t) lo = mid;
    else hi = mid;
  }
  const span = x[hi]! - x[lo]!;
  return span > 0 ? z[lo]! + ((t - x[lo]!) / span) * (z[hi]! - z[lo]!) : z[lo]!;
}

/**
 * The lead L in [0, maxLead] (by `step`) of the related series that best forecasts the target one minute ahead
 * on a training span, and the squared error it leaves relative to persistence's (below 1: it helps). For each
 * pair of consecutive target observations at most `maxGap` apart, from one minute before the second, the
 * forecast moves the first by the related series' move since L minutes before it (to L minutes before the
 * second, or the origin if that is later; interpolated), each pair weighted by 1/gap. Null with fewer than
 * `minMoves` pairs. Pure.
 */
export function learnLead(
  target: { x: Float64Array; y: Float64Array },
  related: { x: Float64Array; y: Float64Array },
  o: { maxLead: number; step?: number; minMoves?: number; maxGap?: number },
): { lead: number; relativeError: number } | null {
  const { maxLead, step = 0.25, minMoves = 30, maxGap = 10 } = o;
  const { x, y } = target;
  let best: { lead: number; relativeError: number } | null = null;
  for (let lead = 0; lead <= maxLead + 1e-9; lead += step) {
    let [err, base, m] = [0, 0, 0];
    for (let j = 1; j < x.length; j++) {
      const gap = x[j]! - x[j - 1]!;
      const at = (t: number) => interpolate(related.x, related.y, t);
      const move = at(Math.min(x[j]! - 1, x[j]! - lead)) - at(x[j - 1]! - lead);
      if (gap > maxGap || Number.isNaN(move)) continue;
      const a = y[j]! - y[j - 1]!;
      err += (a - move) ** 2 / gap;
      base += (a * a) / gap;
      m++;
    }
    const relativeError = m >= minMoves && base > 0 ? err / base : NaN;
    if (relativeError < (best?.relativeError ?? Infinity)) best = { lead, relativeError };
  }
  return best;
}

/**
 * Per horizon, the factor that makes `ratios` (|error| ÷ predicted sd) fall inside the 90% interval 90% of the
 * time: their 90th percentile over z₉₀. 1 with fewer than `minCount` ratios. Pure.
 */
export function intervalScale(ratios: readonly number[], minCount = 20): number {
  if (ratios.length < minCount) return 1;
  const sorted = [...ratios].sort((a, b) => a - b);
  return sorted[Math.ceil(0.9 * sorted.length) - 1]! / Z90;
}

/** Project the target of a fitted ICM to originX + h: mean and sd of a new observation, in data units. */
export function projectIcm(fit: IcmFit, originX: number, horizons: readonly number[]): Projection[] {
  if (fit.outputs.length < 2) return projectGp(fit.own, originX, horizons);
  const params = paramsFrom(fit.outputs, fit.theta);
  const data = buildData(fit.outputs, fit.shifts);
  const r = icmFilter(
    data,
    params,
    horizons.map((h) => ({ out: 0, u: originX + h })),
  );
  const t = fit.outputs[0]!;
  return horizons.map((h, i) => ({
    horizon: h,
    mean: t.offset + t.scale * r.mean[i]!,
    sd: t.scale * Math.sqrt(r.variance[i]! + params.noise[0]!),
  }));
}

export type IcmOptions = {
  /** Largest lead tried, minutes: a related series cannot plausibly run further ahead. Default 3. */
  maxLead?: number;
  /** Training span before the origin, minutes. Default 1440 (a day). */
  trainMinutes?: number;
  /** A related series is used only if, on the training span, it cuts persistence's squared error by this share. Default 0.05. */
  minImprovement?: number;
  /** Minutes between the training span's own forecasts that calibrate the intervals. Default 5. */
  calibrationStride?: number;
};

/** What training learned: the related series used (if any) and, per horizon, the interval scale. */
export type IcmTraining = { use: Lead | null; scales: ReadonlyMap<number, number> };

/**
 * The multi-output model with what a training span taught it. Untrained it is exactly the production Wiener GP;
 * `train` returns the model for an origin, learned on the `trainMinutes` before it.
 */
export function makeGpIcm(options: IcmOptions = {}, training?: IcmTraining): Model & Trainable {
  const { maxLead = 3, trainMinutes = 1440, minImprovement = 0.05, calibrationStride = 5 } = options;
  let last: Lead[] = [];
  const project = (w: SeriesWindow, originX: number, horizons: readonly number[]) => {
    const fit = fitIcm(w, training?.use ?? null);
    last = fit.outputs.length > 1 ? [training!.use!] : [];
    const p = projectIcm(fit, originX, horizons);
    return p.map((q) => ({ ...q, sd: q.sd * (training?.scales.get(q.horizon) ?? 1) }));
  };
  const train = (h: { target: TimeSeries; related: readonly TimeSeries[] }, origin: number, hs: number[]) => {
    const from = origin - trainMinutes * 60_000;
    const target = windowOf(h.target, from, origin);
    let use: Lead | null = null;
    let error = 1 - minImprovement;
    for (const r of h.related) {
      const l = learnLead(target, windowOf(r, from, origin), { maxLead });
      if (l && l.relativeError < error) [use, error] = [{ name: r.name, lead: l.lead }, l.relativeError];
    }
    // The training span's own forecasts (each from the hour before it, scored at a target minute before `origin`).
    const uncalibrated = makeGpIcm(options, { use, scales: new Map() });
    const ratios = hs.map(() => [] as number[]);
    const step = calibrationStride * 60_000;
    for (let o = Math.ceil((from + 3_600_000) / step) * step; o < origin; o += step) {
      const start = o - 3_600_000;
      const w: SeriesWindow = windowOf(h.target, start, o);
      if (unusable(w, 10) || 60 - w.x.at(-1)! > 10) continue; // as the backtest skips them
      w.related = h.related.map((r) => ({ name: r.name, ...windowOf(r, start, o) }));
      const p = uncalibrated.project(w, 60, hs);
      hs.forEach((hz, i) => {
        const actual = o + hz * 60_000 <= origin ? valueAt(h.target, o + hz * 60_000) : undefined;
        if (actual !== undefined) ratios[i]!.push(Math.abs(p[i]!.mean - actual) / p[i]!.sd);
      });
    }
    return makeGpIcm(options, { use, scales: new Map(hs.map((hz, i) => [hz, intervalScale(ratios[i]!)])) });
  };
  return { name: 'gp-icm', project, lastRelated: () => last, train };
}

export const gpIcm = makeGpIcm();
