/**
 * Log marginal likelihood of GP regression and its analytic gradient in log-hyperparameter space:
 *   log p(y | θ) = −½ yᵀK⁻¹y − ½ log det K − (n/2) log 2π,
 *   ∂/∂θⱼ = ½ tr((ααᵀ − K⁻¹) ∂K/∂θⱼ),  α = K⁻¹y.
 * One evaluator owns its buffers and reuses them across calls, so the optimizer's loop allocates nothing.
 */
import type { Kernel } from './kernel-algebra.ts';
import {
  choleskySolveInPlace,
  choleskyWithJitter,
  inverseFromCholeskyLower,
  logDetFromCholesky,
  type JitterOptions,
} from './linalg.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log p(y | θ) for inputs `x` and normalized targets `y`: `evaluate` writes ∂/∂θ into `grad` when given and is
 * −Infinity when K is not positive definite even with jitter; `last` holds its L and α (views: copy them).
 */
export function makeLml(kernel: Kernel, x: Float64Array, y: Float64Array, jitter: JitterOptions = {}) {
  const n = x.length;
  if (y.length !== n) throw new RangeError(`x has ${n} points but y has ${y.length}`);
  const p = kernel.theta.length;
  const k = new Float64Array(n * n);
  const l = new Float64Array(n * n);
  const w = new Float64Array(n * n);
  const work = new Float64Array(n * n);
  const alpha = new Float64Array(n);
  const dk = Array.from({ length: p }, () => new Float64Array(n * n));

  function evaluate(theta: Float64Array, grad?: Float64Array): number {
    if (theta.length !== p) throw new RangeError(`expected ${p} hyperparameters, got ${theta.length}`);
    kernel.matrix(theta, x, k);
    if (Number.isNaN(choleskyWithJitter(k, n, l, jitter))) return Number.NEGATIVE_INFINITY;
    alpha.set(y);
    choleskySolveInPlace(l, n, alpha);
    let fit = 0;
    for (let i = 0; i < n; i++) fit += y[i]! * alpha[i]!;
    const value = -0.5 * fit - 0.5 * logDetFromCholesky(l, n) - n * HALF_LOG_2PI;
    if (!grad || p === 0) return value;

    // W = ααᵀ − K⁻¹, lower triangle only: K and every ∂K are symmetric, so off-diagonal terms count twice.
    inverseFromCholeskyLower(l, n, w, work);
    for (let i = 0; i < n; i++) {
      const ai = alpha[i]!;
      const ri = i * n;
      for (let j = 0; j < i; j++) w[ri + j] = 2 * (ai * alpha[j]! - w[ri + j]!);
      w[ri + i] = ai * ai - w[ri + i]!;
    }
    kernel.gradient(theta, x, dk);
    for (let q = 0; q < p; q++) {
      const d = dk[q]!;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const ri = i * n;
        for (let j = 0; j <= i; j++) s += w[ri + j]! * d[ri + j]!;
      }
      grad[q] = 0.5 * s;
    }
    return value;
  }

  return { evaluate, last: { l, alpha } };
}
