/** Turns an elementary covariance formula into a `Kernel`: theta bookkeeping and the matrix loops, written once. */
import type { Kernel, KernelForm, ParamDef } from './kernel-algebra.ts';

interface LeafFormula {
  /** k(a, b) at natural-unit hyperparameters `p` (fixed ones included); writes ∂k/∂log pⱼ into `grad` if given. */
  readonly k: (p: Float64Array, a: number, b: number, grad: Float64Array | null) => number;
  /** Observation noise: on the diagonal of K(x, x) only, zero in every cross-covariance. */
  readonly noise?: boolean;
  /** True when k is linear in the first hyperparameter and independent of the others (a variance). */
  readonly scale?: boolean;
}

/** A kernel from a formula, its resolved hyperparameters and a label that prefixes their names. */
export function makeLeaf(label: string, params: readonly ParamDef[], formula: LeafFormula): Kernel {
  const free = params.flatMap((q, i) => (q.fixed ? [] : [i]));
  const p = Float64Array.from(params, (q) => q.value);
  const g = new Float64Array(params.length);
  const noise = formula.noise ?? false;
  const k = formula.k;
  const pick = (f: (q: ParamDef) => number) => Float64Array.from(free, (i) => f(params[i]!));

  // Fixed values stay in `p`; free ones are overwritten from theta on every evaluation.
  const load = (theta: Float64Array) => {
    for (let j = 0; j < free.length; j++) p[free[j]!] = Math.exp(theta[j]!);
  };

  const scaleFree = formula.scale === true && free.length === 1 && free[0] === 0;
  const form: KernelForm = free.length === 0 ? 'fixed' : !scaleFree ? 'general' : noise ? 'noise' : 'scale';

  return {
    form,
    names: free.map((i) => `${label}.${params[i]!.name}`),
    theta: pick((q) => Math.log(q.value)),
    lower: pick((q) => Math.log(q.bounds[0])),
    upper: pick((q) => Math.log(q.bounds[1])),
    withTheta(theta) {
      if (theta.length !== free.length) {
        throw new RangeError(`${label}: expected ${free.length} hyperparameters, got ${theta.length}`);
      }
      const next = params.map((q) => q);
      free.forEach((i, j) => (next[i] = { ...params[i]!, value: Math.exp(theta[j]!) }));
      return makeLeaf(label, next, formula);
    },
    matrix(theta, x, out) {
      load(theta);
      const n = x.length;
      if (noise) {
        out.fill(0);
        for (let i = 0; i < n; i++) out[i * n + i] = k(p, x[i]!, x[i]!, null);
        return;
      }
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        for (let j = 0; j <= i; j++) {
          const v = k(p, xi, x[j]!, null);
          out[i * n + j] = v;
          out[j * n + i] = v;
        }
      }
    },
    cross(theta, x1, x2, out) {
      if (noise) {
        out.fill(0);
        return;
      }
      load(theta);
      const m = x2.length;
      for (let i = 0; i < x1.length; i++) {
        const xi = x1[i]!;
        for (let j = 0; j < m; j++) out[i * m + j] = k(p, xi, x2[j]!, null);
      }
    },
    gradient(theta, x, out) {
      load(theta);
      const n = x.length;
      if (noise) for (const o of out) o.fill(0);
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        for (let j = noise ? i : 0; j <= i; j++) {
          k(p, xi, x[j]!, g);
          for (let f = 0; f < free.length; f++) {
            const o = out[f]!;
            const v = g[free[f]!]!;
            o[i * n + j] = v;
            o[j * n + i] = v;
          }
        }
      }
    },
  };
}
