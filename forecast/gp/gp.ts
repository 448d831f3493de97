/**
 * Gaussian-process regression on 1-D inputs: normalize the targets, choose hyperparameters by maximizing the
 * log marginal likelihood (bounded quasi-Newton in log space, seeded restarts), then predict a mean and a full
 * covariance. The full covariance matters for forecasting: the variance of a sum of future increments depends
 * on the covariances between horizons, not only on each horizon's variance.
 */
import type { Kernel } from './kernel-algebra.ts';
import type { JitterOptions } from './linalg.ts';
import { makeLml } from './lml.ts';
import { applyNormalization, normalization, type Normalization, type Normalize } from './normalize.ts';
import type { Objective } from './optimize.ts';
import { minimizeWithRestarts, type RestartOptions } from './restarts.ts';
import { posterior, type Prediction } from './posterior.ts';
import { eigenProject, spectralLml } from './spectral.ts';

/** What to fit. */
export interface FitOptions {
  /** Inputs (time, e.g. minutes since the window start). */
  readonly x: ArrayLike<number>;
  /** Targets, one per input. */
  readonly y: ArrayLike<number>;
  /** Covariance function; its `theta` is the optimizer's first start, or the answer when not optimizing. */
  readonly kernel: Kernel;
  /** Target normalization. Default `standardize`; use `anchor` with a Wiener kernel. */
  readonly normalize?: Normalize;
  /** Optimizer tolerances and restarts, or false to keep the kernel's hyperparameters. Default `{}`. */
  readonly optimizer?: false | Omit<RestartOptions, 'seed'>;
  /** Seed for the optimizer's restart points. Default 0. */
  readonly seed?: number;
  /** Cholesky jitter escalation. */
  readonly jitter?: JitterOptions;
  /**
   * Let kernels of form `scale+noise` (e.g. Wiener + white) be optimized through one eigendecomposition with
   * O(n) evaluations instead of a Cholesky per evaluation. Same optimum up to rounding. Default true.
   */
  readonly spectral?: boolean;
}

/** A fitted GP. */
export interface GpModel {
  /** The kernel carrying the chosen hyperparameters (usable as the next fit's starting point). */
  readonly kernel: Kernel;
  /** Chosen hyperparameters in natural units, in `kernel.names` order. */
  readonly params: readonly { readonly name: string; readonly value: number }[];
  /** log p(y | θ) of the normalized targets at the chosen θ (sklearn's `log_marginal_likelihood_value_`). */
  readonly logMarginalLikelihood: number;
  readonly normalization: Normalization;
  /** Diagonal jitter the final factorization needed (0 normally). */
  readonly jitter: number;
  /** Optimizer effort, or null when the hyperparameters were given. */
  readonly optimization: {
    readonly evaluations: number;
    readonly converged: boolean;
    readonly spectral: boolean;
  } | null;
  /**
   * Predictive mean and full covariance at `xStar`. By default the covariance is that of new observations
   * (noise kernels included, sklearn's convention); `includeNoise: false` gives that of the latent function.
   */
  predict(xStar: ArrayLike<number>, options?: { readonly includeNoise?: boolean }): Prediction;
}

function toFinite(name: string, values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${name}[${bad}] is not a finite number: ${out[bad]}`);
  return out;
}

/** The O(n) objective for `scale+noise` kernels, or null when the kernel has another form or QL fails. */
function spectralObjective(kernel: Kernel, x: Float64Array, y: Float64Array): Objective | null {
  if (kernel.form !== 'scale+noise' && kernel.form !== 'noise+scale') return null;
  const scaleIndex = kernel.form === 'scale+noise' ? 0 : 1;
  // A = K at unit scale and zero noise (log 0 = −∞).
  const unit = new Float64Array(2);
  unit[1 - scaleIndex] = Number.NEGATIVE_INFINITY;
  const n = x.length;
  const a = new Float64Array(n * n);
  kernel.matrix(unit, x, a);
  const eig = eigenProject(a, n, y);
  if (!eig) return null;
  return (t, grad) => {
    const v = spectralLml(eig.lambda, eig.z, scaleIndex, t, grad);
    grad[0] = -grad[0]!;
    grad[1] = -grad[1]!;
    return -v;
  };
}

/** Fits a GP to (x, y); deterministic for a given seed. Throws when no hyperparameters give a usable K. */
export function fitGp(options: FitOptions): GpModel {
  const x = toFinite('x', options.x);
  const yRaw = toFinite('y', options.y);
  const n = x.length;
  if (n === 0 || yRaw.length !== n) {
    throw new RangeError(`need as many targets as inputs (at least one), got ${n} and ${yRaw.length}`);
  }
  const norm = normalization(x, yRaw, options.normalize ?? 'standardize');
  const y = applyNormalization(yRaw, norm);
  const lml = makeLml(options.kernel, x, y, options.jitter);
  const p = options.kernel.theta.length;

  let theta = options.kernel.theta;
  let optimization: GpModel['optimization'] = null;
  if (options.optimizer !== false && p > 0) {
    const fast = options.spectral === false ? null : spectralObjective(options.kernel, x, y);
    const dense: Objective = (t, grad) => {
      const v = lml.evaluate(t, grad);
      for (let i = 0; i < p; i++) grad[i] = -grad[i]!;
      return -v;
    };
    const { lower, upper } = options.kernel;
    const best = minimizeWithRestarts(fast ?? dense, theta, lower, upper, {
      ...options.optimizer,
      seed: options.seed ?? 0,
    });
    theta = best.x;
    optimization = { evaluations: best.evaluations, converged: best.converged, spectral: fast !== null };
  }
  const value = lml.evaluate(theta);
  if (!Number.isFinite(value)) {
    throw new Error(
      `covariance matrix is not positive definite at log-hyperparameters [${theta.join(', ')}]`,
    );
  }
  const kernel = options.kernel.withTheta(theta);
  const state = {
    kernel,
    theta: kernel.theta,
    x,
    l: lml.last.l.slice(),
    alpha: lml.last.alpha.slice(),
    normalization: norm,
  };
  return {
    kernel,
    params: kernel.names.map((name, i) => ({ name, value: Math.exp(state.theta[i]!) })),
    logMarginalLikelihood: value,
    normalization: norm,
    jitter: lml.last.jitter,
    optimization,
    predict: (xStar, { includeNoise = true } = {}) =>
      posterior(state, toFinite('xStar', xStar), includeNoise),
  };
}
