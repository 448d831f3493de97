/**
 * A multi-output GP (intrinsic coregionalization model) that forecasts one series from its own window and the
 * latest values of related series — other sources or currencies of the same coin, which refresh at different
 * moments (a 30–60 s cache, a 15-minute delay) or follow a common BTC price.
 *
 * Each output s is normalized (minus its first value, over the sd of its one-minute increments) and observed at
 * latent time u = x − δ_s, with δ_target = 0 and δ_s < 0 for a series that leads the target:
 *   f_s(u) = w_s·g(u) + a_s(u),  y_s = f_s(u) + ε_s,  ε_s ~ N(0, σ_s²),
 * g a standard Wiener process anchored at the earliest latent time (shared), a_s independent random walks with
 * variance κ_s per minute and a level ~ N(0, C). So Cov(f_s(u), f_t(u′)) = B_st·min(u − u₀, u′ − u₀) + [s = t]·C
 * with B = wwᵀ + diag(κ): K = B ⊗ k_Wiener, the ICM, with per-output time shifts.
 *
 * Every term is a random walk, so the model is a small linear state space [g, a_1..a_S] whose Kalman filter gives
 * the exact GP likelihood and posterior in O(n·S²) instead of O(n³): icm-filter.ts.
 *
 * Fitting, per window: each output's noise and one-minute variance q come from the production Wiener fit of that
 * output alone (so the target's own data is read exactly as gp-wiener reads it); each related series' shift is
 * the one whose one-minute moves correlate best with the target's (whole and half minutes over ±16); it is a
 * candidate only if it leads the target (δ < 0) and sharing raises the pair likelihood by `minGain` over
 * independence (a guard against chance alignments among ~65 shifts); the best candidate's (`maxRelated`)
 * loadings w and idiosyncratic variances κ are then fitted with the target's by maximum likelihood. With no
 * series used, the forecast is exactly gp-wiener's: the model can only depart from persistence where another
 * series carries information.
 */
import { minimizeBounded } from './gp/index.ts';
import type { GpModel } from './gp/index.ts';
import { buildData, icmFilter, LEVEL_VARIANCE, type IcmParams } from './icm-filter.ts';
import {
  fitWiener,
  incrementSd,
  projectGp,
  type Model,
  type Projection,
  type SeriesWindow,
} from './models.ts';

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

/**
 * Filter parameters from log loadings and log idiosyncratic variances, θ = [log w_1..w_S, log κ_1..κ_S];
 * noise stays at each output's own fit.
 */
function paramsFrom(outputs: readonly Output[], theta: Float64Array): IcmParams {
  const S = outputs.length;
  return {
    w: Float64Array.from(outputs, (_, s) => Math.exp(theta[s]!)),
    kappa: Float64Array.from(outputs, (_, s) => Math.exp(theta[S + s]!)),
    noise: Float64Array.from(outputs, (o) => o.noise),
    level: LEVEL_VARIANCE,
  };
}

/** θ with a fraction `shared` of each output's own increment variance q on the common process. */
function thetaShared(outputs: readonly Output[], shared: number): Float64Array {
  return Float64Array.from([
    ...outputs.map((o) => 0.5 * Math.log(Math.max(1e-12, shared * o.q))),
    ...outputs.map((o) => Math.log(Math.max(1e-8 * o.q, (1 - shared) * o.q))),
  ]);
}

/** The two outputs as independent walks: no common loading, each with its own increment variance. */
function independentParams(outputs: readonly Output[]): IcmParams {
  return {
    w: new Float64Array(outputs.length),
    kappa: Float64Array.from(outputs, (o) => o.q),
    noise: Float64Array.from(outputs, (o) => o.noise),
    level: LEVEL_VARIANCE,
  };
}

/**
 * Maximum-likelihood loadings w and idiosyncratic variances κ for fixed shifts: bounded L-BFGS in log space
 * with forward-difference gradients (a few microseconds per filter pass), from a mostly-shared start.
 */
function fitShared(
  outputs: readonly Output[],
  shifts: readonly number[],
  start: Float64Array = thetaShared(outputs, 0.9),
): { theta: Float64Array; lml: number } {
  const data = buildData(outputs, shifts);
  const S = outputs.length;
  const lower = Float64Array.from([
    ...outputs.map((o) => 0.5 * Math.log(1e-6 * o.q)),
    ...outputs.map((o) => Math.log(1e-8 * o.q)),
  ]);
  const upper = Float64Array.from([
    ...outputs.map((o) => 0.5 * Math.log(100 * o.q)),
    ...outputs.map((o) => Math.log(10 * o.q)),
  ]);
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
  return { theta: r.x, lml: -r.f };
}

export type IcmOptions = {
  /** Largest |δ| tried, minutes. Default 16 (covers a 15-minute delayed source). */
  maxShift?: number;
  /** Grid step of δ, minutes. Default 0.5 (a 30–60 s cache sits between minutes). */
  shiftStep?: number;
  /** Related windows with fewer points are ignored. Default 10. */
  minPoints?: number;
  /**
   * A related series is used only when it leads the target (its best shift δ < 0) and, at that shift, sharing
   * raises the pair's log likelihood by at least this much over treating the two as independent. Default 8: the best of ~65 shifts of an unrelated
   * series rarely gains that by chance, while a real lead–lag gains far more.
   */
  minGain?: number;
  /**
   * At most this many related series are used, those with the largest gains. Default 1: on the derived
   * multi-source data a second leading source added nothing and its joint fit (six hyperparameters on nearly
   * collinear series) sometimes settled badly, costing accuracy and four times the fit time.
   */
  maxRelated?: number;
};

/** A related series considered: its chosen shift and likelihood gain, and whether the model uses it. */
export type RelatedUse = { name: string; shift: number; gain: number; used: boolean };

export type IcmFit = {
  /** The target alone (the production Wiener fit), used when no related series earns its place. */
  own: GpModel;
  outputs: readonly Output[];
  shifts: number[];
  /** Fitted log loadings and log idiosyncratic variances (see `paramsFrom`), target first. */
  theta: Float64Array;
  lml: number;
  related: RelatedUse[];
};

/** Correlation of the one-minute latent moves of the target and output s under a fit. */
export function latentCorrelation(fit: IcmFit, s: number): number {
  const S = fit.outputs.length;
  const w = (i: number) => Math.exp(fit.theta[i]!);
  const k = (i: number) => Math.exp(fit.theta[S + i]!);
  return (w(0) * w(s)) / Math.sqrt((w(0) ** 2 + k(0)) * (w(s) ** 2 + k(s)));
}

/**
 * Fit the ICM to a target window and its related windows: each output's own dynamics from the production
 * Wiener fit, each related series' shift by grid search on the pair likelihood, a likelihood-gain test for
 * whether it is used at all, then the shared fractions of the target and the used series jointly.
 */
export function fitIcm(w: SeriesWindow, options: IcmOptions = {}): IcmFit {
  const { maxShift = 16, shiftStep = 0.5, minPoints = 10, minGain = 8, maxRelated = 1 } = options;
  const own = fitWiener(w);
  const target = makeOutput('target', w, own);
  const fit: IcmFit = { own, outputs: [], shifts: [], theta: new Float64Array(0), lml: NaN, related: [] };
  if (!target) return fit;
  const used: { o: Output; shift: number; theta: Float64Array; lml: number; gain: number }[] = [];
  for (const r of w.related ?? []) {
    if (r.x.length < minPoints) continue;
    let o: Output | null = null;
    try {
      o = makeOutput(r.name, r, fitWiener(r, 0));
    } catch {
      // An unusable related window is simply not used.
    }
    if (!o) continue;
    const pair = [target, o];
    const shift = searchShift(target, o, maxShift, shiftStep);
    const independent = icmFilter(buildData(pair, [0, shift]), independentParams(pair)).lml;
    const shared = fitShared(pair, [0, shift]);
    const gain = shared.lml - independent;
    fit.related.push({ name: r.name, shift, gain, used: false });
    // Only a series that leads the target (δ < 0) can tell it something about its future.
    if (gain >= minGain && shift < 0) used.push({ o, shift, theta: shared.theta, lml: shared.lml, gain });
  }
  used.sort((a, b) => b.gain - a.gain).splice(maxRelated);
  for (const r of fit.related) r.used = used.some((u) => u.o.name === r.name);
  if (used.length === 0) return fit;
  const outputs = [target, ...used.map((u) => u.o)];
  const shifts = [0, ...used.map((u) => u.shift)];
  if (used.length === 1) {
    const u = used[0]!;
    return { ...fit, outputs, shifts, theta: u.theta, lml: u.lml };
  }
  // Start from the best pair's target parameters and each related series' own pair fit.
  const start = thetaShared(outputs, 0.9);
  const best = used[0]!.theta;
  start[0] = best[0]!;
  start[outputs.length] = best[2]!;
  used.forEach((u, i) => {
    start[1 + i] = u.theta[1]!;
    start[outputs.length + 1 + i] = u.theta[3]!;
  });
  const { theta, lml } = fitShared(outputs, shifts, start);
  return { ...fit, outputs, shifts, theta, lml };
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
 * The shift δ of `related` (related at clock time x + δ shows what the target shows at x) that maximizes the
 * correlation of one-minute moves: the target's move over (x − 1, x] against the related series' over
 * (x − 1 + δ, x + δ], interpolated between its points. Correlation ignores each source's level and scale, which
 * a likelihood at fixed hyperparameters does not; the likelihood then decides whether the series is used at all.
 * Whole and half minutes over ±maxShift by `step`; 0 when fewer than 10 moves overlap at every shift.
 */
function searchShift(target: Output, related: Output, maxShift: number, step: number): number {
  let best = { shift: 0, corr: -Infinity };
  const k = Math.round(maxShift / step);
  for (let i = -k; i <= k; i++) {
    const delta = i * step;
    let sab = 0;
    let saa = 0;
    let sbb = 0;
    let m = 0;
    for (let j = 1; j < target.x.length; j++) {
      if (target.x[j]! - target.x[j - 1]! !== 1) continue;
      const b1 = interpolate(related.x, related.z, target.x[j]! + delta);
      const b0 = interpolate(related.x, related.z, target.x[j - 1]! + delta);
      if (Number.isNaN(b1) || Number.isNaN(b0)) continue;
      const a = target.z[j]! - target.z[j - 1]!;
      const b = b1 - b0;
      sab += a * b;
      saa += a * a;
      sbb += b * b;
      m++;
    }
    const corr = m >= 10 && saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : -Infinity;
    if (corr > best.corr) best = { shift: delta, corr };
  }
  return best.shift;
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

/**
 * The multi-output model. Without a related series that passes the gain test it is exactly the production
 * Wiener GP, so it can only differ from persistence where another series carries information.
 */
export function makeGpIcm(options: IcmOptions = {}): Model {
  let last: { name: string; lead: number }[] = [];
  return {
    name: 'gp-icm',
    project: (w, originX, horizons) => {
      last = [];
      const fit = fitIcm(w, options);
      last = fit.related.filter((r) => r.used).map((r) => ({ name: r.name, lead: -r.shift }));
      return projectIcm(fit, originX, horizons);
    },
    lastRelated: () => last,
  };
}

export const gpIcm: Model = makeGpIcm();
