/** GP regression on 1-D inputs: maximum-likelihood hyperparameters, then a predictive mean and full covariance. */
import type { Kernel } from './kernel-algebra.ts';
import { makeLml } from './lml.ts';
import { normalization, type Normalization, type Normalize } from './normalize.ts';
import type { Objective } from './optimize.ts';
import { minimizeWithRestarts, type RestartOptions } from './restarts.ts';
import { posterior, type Prediction } from './posterior.ts';
import { eigenProject, spectralLml } from './spectral.ts';

interface FitOptions {
  /** Inputs (e.g. minutes since the window start) and one target per input. */
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Covariance function; its `theta` is the optimizer's first start, or the answer when not optimizing. */
  readonly kernel: Kernel;
  /** Target normalization. Default `standardize`; use `anchor` with a Wiener kernel. */
  readonly normalize?: Normalize;
  /** Optimizer tolerances and restarts, or false to keep the kernel's hyperparameters. Default `{}`. */
  readonly optimizer?: false | Omit<RestartOptions, 'seed'>;
  /** Seed for the optimizer's restart points. Default 0. */
  readonly seed?: number;
  /** Optimize `scale+noise` kernels in O(n) per evaluation after one eigendecomposition. Default true. */
  readonly spectral?: boolean;
}

export interface GpModel {
  /** The kernel carrying the chosen hyperparameters. */
  readonly kernel: Kernel;
  /** Chosen hyperparameters in natural units, in `kernel.names` order. */
  readonly params: readonly { readonly name: string; readonly value: number }[];
  /** log p(y | θ) of the normalized targets at the chosen θ (sklearn's `log_marginal_likelihood_value_`). */
  readonly logMarginalLikelihood: number;
  readonly normalization: Normalization;
  /** Optimizer effort, or null when the hyperparameters were given. */
  readonly optimization: { evaluations: number; converged: boolean; spectral: boolean } | null;
  /** Predictive mean and covariance at `xStar` of new observations (or, !includeNoise, of the latent function). */
  predict(xStar: ArrayLike<number>, options?: { readonly includeNoise?: boolean }): Prediction;
}

function toFinite(name: string, values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${name}[${bad}] is not a finite number: ${out[bad]}`);
  return out;
}

/** −f as an objective for the minimizer (f writes its gradient, which is negated too). */
function negated(f: (theta: Float64Array, grad: Float64Array) => number): Objective {
  return (t, grad) => {
    const v = f(t, grad);
    for (let i = 0; i < grad.length; i++) grad[i] = -grad[i]!;
    return -v;
  };
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
  return negated((t, grad) => spectralLml(eig.lambda, eig.z, scaleIndex, t, grad));
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
  const y = yRaw.map((v) => (v - norm.offset) / norm.scale);
  const lml = makeLml(options.kernel, x, y);
  const p = options.kernel.theta.length;

  let theta = options.kernel.theta;
  let optimization: GpModel['optimization'] = null;
  if (options.optimizer !== false && p > 0) {
    const fast = options.spectral === false ? null : spectralObjective(options.kernel, x, y);
    const { lower, upper } = options.kernel;
    const best = minimizeWithRestarts(fast ?? negated(lml.evaluate), theta, lower, upper, {
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
  const fit = { kernel, x, l: lml.last.l.slice(), alpha: lml.last.alpha.slice(), norm };
  return {
    kernel,
    params: kernel.names.map((name, i) => ({ name, value: Math.exp(kernel.theta[i]!) })),
    logMarginalLikelihood: value,
    normalization: norm,
    optimization,
    predict: (xStar, { includeNoise = true } = {}) => posterior(fit, toFinite('xStar', xStar), includeNoise),
  };
}
