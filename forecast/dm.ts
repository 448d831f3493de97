/**
 * The Diebold–Mariano test of a model's squared errors against persistence's on the same origins, pure:
 * dᵢ = e_model,ᵢ² − e_base,ᵢ², DM = d̄ / √(V̂/n), V̂ = γ₀ + 2 Σₖ₌₁ᴸ wₖ γₖ (autocovariances over n), with
 * Bartlett wₖ = 1 − k/(L + 1) (Newey–West, default) or uniform wₖ = 1. Harvey–Leybourne–Newbold multiply DM by
 * √((n + 1 − 2H + H(H − 1)/n)/n), H = L + 1, read against t(n − 1). Positive = worse than persistence.
 */

export type DmWeights = 'bartlett' | 'uniform';
type DmOptions = { lag: number; weights?: DmWeights };

export type DmResult = {
  /** The HLN-corrected statistic (0 when every dᵢ is 0) and its two-sided p-value under t(n − 1). */
  stat: number;
  p: number;
  /** Diebold and Mariano's uncorrected d̄ / √(V̂/n). */
  rawStat: number;
  n: number;
  lag: number;
  /** Weights used: uniform falls back to Bartlett when its variance estimate is not positive. */
  weights: DmWeights;
  /** d̄ and V̂. */
  meanDiff: number;
  variance: number;
};

/** The HAC lag for h-step forecasts from origins `stride` minutes apart, whose errors overlap: ⌈h / stride⌉ − 1. */
export function hacLag(horizon: number, stride: number): number {
  return Math.max(0, Math.ceil(horizon / stride) - 1);
}

/** Squared-error loss differentials e_model² − e_base², element by element. */
export function lossDifferential(model: ArrayLike<number>, base: ArrayLike<number>): Float64Array {
  if (model.length !== base.length) throw new RangeError(`${model.length} errors against ${base.length}`);
  return Float64Array.from(model, (e, i) => e * e - base[i]! * base[i]!);
}

function longRunVariance(d: ArrayLike<number>, mean: number, lag: number, weights: DmWeights): number {
  const n = d.length;
  let v = 0;
  for (let k = 0; k <= Math.min(lag, n - 1); k++) {
    let g = 0;
    for (let i = k; i < n; i++) g += (d[i]! - mean) * (d[i - k]! - mean);
    g /= n;
    const w = k === 0 ? 1 : 2 * (weights === 'bartlett' ? 1 - k / (lag + 1) : 1);
    v += w * g;
  }
  return v;
}

/** The Diebold–Mariano test on loss differentials `d` (see the module comment). Needs n ≥ 2. */
export function dieboldMariano(d: ArrayLike<number>, options: DmOptions): DmResult {
  const n = d.length;
  const lag = options.lag;
  if (!Number.isInteger(lag) || lag < 0) throw new RangeError(`lag must be a whole number ≥ 0, got ${lag}`);
  let weights = options.weights ?? 'bartlett';
  if (n < 2) return { stat: NaN, p: NaN, rawStat: NaN, meanDiff: NaN, variance: NaN, n, lag, weights };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += d[i]!;
  mean /= n;
  let variance = longRunVariance(d, mean, lag, weights);
  if (!(variance > 0) && weights === 'uniform') {
    weights = 'bartlett';
    variance = longRunVariance(d, mean, lag, weights);
  }
  const base = { n, lag, weights, meanDiff: mean, variance };
  // Identical losses (a model that reproduces persistence): no evidence either way.
  if (!(variance > 0)) {
    const stat = mean === 0 ? 0 : Math.sign(mean) * Infinity;
    return { ...base, stat, rawStat: stat, p: mean === 0 ? 1 : 0 };
  }
  const rawStat = mean / Math.sqrt(variance / n);
  const h = lag + 1;
  const k = (n + 1 - 2 * h + (h * (h - 1)) / n) / n;
  const stat = k > 0 ? rawStat * Math.sqrt(k) : NaN;
  return { ...base, stat, rawStat, p: studentTwoSided(stat, n - 1) };
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSided(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta function I_x(a, b), by its continued fraction (modified Lentz). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  // The fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - (front * betaFraction(1 - x, b, a)) / b;
  return (front * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const nonZero = (v: number) => (Math.abs(v) < 1e-300 ? 1e-300 : v);
  let c = 1;
  let d = 1 / nonZero(1 - ((a + b) * x) / (a + 1));
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let delta = 0;
    // The even and the odd step of the fraction.
    for (const num of [
      (m * (b - m) * x) / ((a + m2 - 1) * (a + m2)),
      (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1)),
    ]) {
      d = 1 / nonZero(1 + num * d);
      c = nonZero(1 + num / c);
      delta = d * c;
      h *= delta;
    }
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}
