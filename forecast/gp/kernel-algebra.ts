/**
 * The kernel abstraction: covariance functions on 1-D inputs (time in minutes) whose free hyperparameters live
 * in log space, composable by sums and products.
 *
 * Kernels are immutable descriptions. Every evaluation takes the log-hyperparameter vector explicitly, so the
 * optimizer can try hundreds of vectors without building objects; `withTheta` makes the kernel that carries a
 * fitted vector (for reporting, or as the next window's starting point).
 */

/** A covariance function k(x, x′) on 1-D inputs with its free hyperparameters in log space. */
export interface Kernel {
  /** One name per free hyperparameter, in `theta` order, e.g. `rbf.lengthScale`. */
  readonly names: readonly string[];
  /** Natural logs of the current values of the free hyperparameters. */
  readonly theta: Float64Array;
  /** Log-space lower bounds, one per free hyperparameter. */
  readonly lower: Float64Array;
  /** Log-space upper bounds, one per free hyperparameter. */
  readonly upper: Float64Array;
  /** How K depends on theta, for fitters that can exploit structure (see `KernelForm`). */
  readonly form: KernelForm;
  /** The same kernel with other free-hyperparameter values (log space). */
  withTheta(theta: ArrayLike<number>): Kernel;
  /** K(x, x), noise terms included, row-major into `out` (n×n). */
  matrix(theta: Float64Array, x: Float64Array, out: Float64Array): void;
  /**
   * K(x1, x2) into `out` (n1×n2). Noise terms are left out even where inputs coincide (sklearn's convention),
   * so `cross(θ, x, x)` is the covariance of the latent function and `matrix(θ, x)` that of observations.
   */
  cross(theta: Float64Array, x1: Float64Array, x2: Float64Array, out: Float64Array): void;
  /** ∂K(x, x)/∂θⱼ into `out[j]` (each n×n) for every free hyperparameter j. */
  gradient(theta: Float64Array, x: Float64Array, out: readonly Float64Array[]): void;
}

/**
 * How K(x, x) depends on theta:
 * - `fixed`: not at all (no free hyperparameters);
 * - `scale`: K = exp(θ₀)·A, one free hyperparameter that only scales a fixed matrix A;
 * - `noise`: K = exp(θ₀)·I, one free noise variance;
 * - `scale+noise` / `noise+scale`: K = exp(θ_scale)·A + exp(θ_noise)·I, in that theta order — the form whose
 *   likelihood an eigendecomposition of A makes O(n) per evaluation;
 * - `general`: anything else.
 */
export type KernelForm = 'fixed' | 'scale' | 'noise' | 'scale+noise' | 'noise+scale' | 'general';

function sumForm(a: KernelForm, b: KernelForm): KernelForm {
  if (a === 'fixed' && b === 'fixed') return 'fixed';
  if (a === 'scale' && b === 'noise') return 'scale+noise';
  if (a === 'noise' && b === 'scale') return 'noise+scale';
  return 'general';
}

function productForm(a: KernelForm, b: KernelForm): KernelForm {
  if (a === 'fixed' && b === 'fixed') return 'fixed';
  // A fixed factor reshapes A but keeps K proportional to the one scale; it would not keep a noise term ∝ I.
  if ((a === 'scale' && b === 'fixed') || (a === 'fixed' && b === 'scale')) return 'scale';
  return 'general';
}

/** Search bounds used when a hyperparameter does not name its own; sklearn's default, in natural units. */
export const DEFAULT_BOUNDS: readonly [number, number] = [1e-5, 1e5];

/**
 * A positive hyperparameter: a bare value, or a value with natural-unit search bounds, or held fixed
 * (then it is not part of `theta` and the optimizer never moves it).
 */
export type ParamOption =
  number | { readonly value: number; readonly bounds?: readonly [number, number]; readonly fixed?: boolean };

/** A resolved hyperparameter, natural units. */
export interface ParamDef {
  readonly name: string;
  readonly value: number;
  readonly bounds: readonly [number, number];
  readonly fixed: boolean;
}

/** Validates one hyperparameter option, naming the offending parameter in the error. */
export function resolveParam(label: string, name: string, option: ParamOption | undefined): ParamDef {
  const o = typeof option === 'object' ? option : { value: option ?? 1 };
  const bounds = o.bounds ?? DEFAULT_BOUNDS;
  const where = `${label}.${name}`;
  if (!(o.value > 0 && Number.isFinite(o.value))) {
    throw new RangeError(`${where} must be a positive finite number, got ${o.value}`);
  }
  if (!(bounds[0] > 0 && bounds[1] >= bounds[0] && Number.isFinite(bounds[1]))) {
    throw new RangeError(
      `${where} bounds must satisfy 0 < lower ≤ upper < ∞, got [${bounds[0]}, ${bounds[1]}]`,
    );
  }
  return { name, value: o.value, bounds, fixed: o.fixed ?? false };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A reusable buffer of exactly `size` entries; composites need one temporary matrix per node. */
function makeScratch(): (size: number) => Float64Array {
  let buf = new Float64Array(0);
  return (size) => (buf.length === size ? buf : (buf = new Float64Array(size)));
}

function binary(
  a: Kernel,
  b: Kernel,
  rebuild: (a: Kernel, b: Kernel) => Kernel,
): Pick<Kernel, 'names' | 'theta' | 'lower' | 'upper' | 'withTheta'> {
  const na = a.theta.length;
  const total = na + b.theta.length;
  return {
    names: [...a.names, ...b.names],
    theta: concat(a.theta, b.theta),
    lower: concat(a.lower, b.lower),
    upper: concat(a.upper, b.upper),
    withTheta: (theta) => {
      if (theta.length !== total)
        throw new RangeError(`expected ${total} hyperparameters, got ${theta.length}`);
      const t = Float64Array.from(theta);
      return rebuild(a.withTheta(t.subarray(0, na)), b.withTheta(t.subarray(na)));
    },
  };
}

/** k(x, x′) = a(x, x′) + b(x, x′); hyperparameters are a's followed by b's. */
export function sum(a: Kernel, b: Kernel): Kernel {
  const na = a.theta.length;
  const scratch = makeScratch();
  return {
    ...binary(a, b, sum),
    form: sumForm(a.form, b.form),
    matrix(theta, x, out) {
      a.matrix(theta.subarray(0, na), x, out);
      const t = scratch(out.length);
      b.matrix(theta.subarray(na), x, t);
      for (let i = 0; i < out.length; i++) out[i]! += t[i]!;
    },
    cross(theta, x1, x2, out) {
      a.cross(theta.subarray(0, na), x1, x2, out);
      const t = scratch(out.length);
      b.cross(theta.subarray(na), x1, x2, t);
      for (let i = 0; i < out.length; i++) out[i]! += t[i]!;
    },
    gradient(theta, x, out) {
      a.gradient(theta.subarray(0, na), x, out.slice(0, na));
      b.gradient(theta.subarray(na), x, out.slice(na));
    },
  };
}

/** k(x, x′) = a(x, x′)·b(x, x′); hyperparameters are a's followed by b's. */
export function product(a: Kernel, b: Kernel): Kernel {
  const na = a.theta.length;
  const scratchA = makeScratch();
  const scratchB = makeScratch();
  return {
    ...binary(a, b, product),
    form: productForm(a.form, b.form),
    matrix(theta, x, out) {
      a.matrix(theta.subarray(0, na), x, out);
      const t = scratchB(out.length);
      b.matrix(theta.subarray(na), x, t);
      for (let i = 0; i < out.length; i++) out[i]! *= t[i]!;
    },
    cross(theta, x1, x2, out) {
      a.cross(theta.subarray(0, na), x1, x2, out);
      const t = scratchB(out.length);
      b.cross(theta.subarray(na), x1, x2, t);
      for (let i = 0; i < out.length; i++) out[i]! *= t[i]!;
    },
    gradient(theta, x, out) {
      // Product rule: ∂(A∘B) = ∂A∘B for a's hyperparameters and A∘∂B for b's.
      const ta = theta.subarray(0, na);
      const tb = theta.subarray(na);
      const size = x.length * x.length;
      const ka = scratchA(size);
      const kb = scratchB(size);
      a.matrix(ta, x, ka);
      b.matrix(tb, x, kb);
      a.gradient(ta, x, out.slice(0, na));
      b.gradient(tb, x, out.slice(na));
      out.forEach((g, j) => {
        const other = j < na ? kb : ka;
        for (let i = 0; i < size; i++) g[i]! *= other[i]!;
      });
    },
  };
}
