/** Immutable covariance functions on 1-D inputs; each evaluation takes the log-hyperparameters `theta`. */

/** A covariance function k(x, x′) on 1-D inputs with its free hyperparameters in log space. */
export interface Kernel {
  /** One name per free hyperparameter, in `theta` order, e.g. `rbf.lengthScale`. */
  readonly names: readonly string[];
  /** Natural logs of the current values of the free hyperparameters. */
  readonly theta: Float64Array;
  /** Log-space bounds, one per free hyperparameter. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly form: KernelForm;
  /** The same kernel with other free-hyperparameter values (log space). */
  withTheta(theta: ArrayLike<number>): Kernel;
  /** K(x, x), noise terms included, row-major into `out` (n×n). */
  matrix(theta: Float64Array, x: Float64Array, out: Float64Array): void;
  /** K(x1, x2) into `out` (n1×n2), noise terms left out even where inputs coincide (sklearn's convention). */
  cross(theta: Float64Array, x1: Float64Array, x2: Float64Array, out: Float64Array): void;
  /** ∂K(x, x)/∂θⱼ into `out[j]` (each n×n) for every free hyperparameter j. */
  gradient(theta: Float64Array, x: Float64Array, out: readonly Float64Array[]): void;
}

/**
 * How K(x, x) depends on theta: not at all (`fixed`), K = exp(θ₀)·A (`scale`), K = exp(θ₀)·I (`noise`),
 * K = exp(θ_scale)·A + exp(θ_noise)·I in that theta order (`scale+noise`, `noise+scale`: an eigendecomposition
 * of A makes the likelihood O(n)), or `general`.
 */
export type KernelForm = 'fixed' | 'scale' | 'noise' | 'scale+noise' | 'noise+scale' | 'general';

/** The form of a + b, or of a·b when `mul`. */
function combinedForm(a: KernelForm, b: KernelForm, mul: boolean): KernelForm {
  if (a === 'fixed' && b === 'fixed') return 'fixed';
  // A fixed factor reshapes A but keeps K proportional to the one scale; it would not keep a noise term ∝ I.
  if (mul) return (a === 'scale' && b === 'fixed') || (a === 'fixed' && b === 'scale') ? 'scale' : 'general';
  if (a === 'scale' && b === 'noise') return 'scale+noise';
  return a === 'noise' && b === 'scale' ? 'noise+scale' : 'general';
}

/** Search bounds of a hyperparameter that does not name its own (sklearn's default, natural units). */
const DEFAULT_BOUNDS: readonly [number, number] = [1e-5, 1e5];

/** A positive hyperparameter: a value, optionally with natural-unit bounds, or `fixed` (then not in theta). */
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

/** A reusable buffer of exactly `size` entries; composites need one temporary matrix per node. */
function makeScratch(): (size: number) => Float64Array {
  let buf = new Float64Array(0);
  return (size) => (buf.length === size ? buf : (buf = new Float64Array(size)));
}

/** a + b, or a·b when `mul`, element by element; hyperparameters are a's followed by b's. */
function combine(a: Kernel, b: Kernel, mul: boolean): Kernel {
  const na = a.theta.length;
  const total = na + b.theta.length;
  const scratchA = makeScratch();
  const scratchB = makeScratch();
  const merge = (out: Float64Array, t: Float64Array) => {
    if (mul) for (let i = 0; i < out.length; i++) out[i]! *= t[i]!;
    else for (let i = 0; i < out.length; i++) out[i]! += t[i]!;
  };
  return {
    names: [...a.names, ...b.names],
    theta: Float64Array.of(...a.theta, ...b.theta),
    lower: Float64Array.of(...a.lower, ...b.lower),
    upper: Float64Array.of(...a.upper, ...b.upper),
    form: combinedForm(a.form, b.form, mul),
    withTheta: (theta) => {
      if (theta.length !== total)
        throw new RangeError(`expected ${total} hyperparameters, got ${theta.length}`);
      const t = Float64Array.from(theta);
      return combine(a.withTheta(t.subarray(0, na)), b.withTheta(t.subarray(na)), mul);
    },
    matrix(theta, x, out) {
      a.matrix(theta.subarray(0, na), x, out);
      const t = scratchB(out.length);
      b.matrix(theta.subarray(na), x, t);
      merge(out, t);
    },
    cross(theta, x1, x2, out) {
      a.cross(theta.subarray(0, na), x1, x2, out);
      const t = scratchB(out.length);
      b.cross(theta.subarray(na), x1, x2, t);
      merge(out, t);
    },
    gradient(theta, x, out) {
      const ta = theta.subarray(0, na);
      const tb = theta.subarray(na);
      a.gradient(ta, x, out.slice(0, na));
      b.gradient(tb, x, out.slice(na));
      if (!mul) return;
      // Product rule: ∂(A∘B) = ∂A∘B for a's hyperparameters and A∘∂B for b's.
      const size = x.length * x.length;
      const ka = scratchA(size);
      const kb = scratchB(size);
      a.matrix(ta, x, ka);
      b.matrix(tb, x, kb);
      out.forEach((g, j) => {
        const other = j < na ? kb : ka;
        for (let i = 0; i < size; i++) g[i]! *= other[i]!;
      });
    },
  };
}

/** k(x, x′) = a(x, x′) + b(x, x′); hyperparameters are a's followed by b's. */
export const sum = (a: Kernel, b: Kernel): Kernel => combine(a, b, false);

/** k(x, x′) = a(x, x′)·b(x, x′); hyperparameters are a's followed by b's. */
export const product = (a: Kernel, b: Kernel): Kernel => combine(a, b, true);
