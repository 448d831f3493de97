/** The GP posterior at new inputs: mean K*ᵀα and covariance K** − VᵀV with V = L⁻¹K(x, x*), in data units. */
import type { Kernel } from './kernel-algebra.ts';
import type { Normalization } from './normalize.ts';

/** A predictive distribution at m points in data units: the means and the row-major m×m covariance. */
export type Prediction = { readonly mean: Float64Array; readonly cov: Float64Array };

/** A fit: inputs, kernel at the fitted theta, Cholesky factor L of K and α = K⁻¹y, and the normalization. */
type Fit = { kernel: Kernel; x: Float64Array; l: Float64Array; alpha: Float64Array; norm: Normalization };

/** Predictive mean and covariance at `xs`; with `includeNoise` the covariance is that of new observations. */
export function posterior(fit: Fit, xs: Float64Array, includeNoise: boolean): Prediction {
  const { kernel, x, l, alpha } = fit;
  const { theta } = kernel;
  const { offset, scale } = fit.norm;
  const n = x.length;
  const m = xs.length;
  const v = new Float64Array(n * m);
  kernel.cross(theta, x, xs, v);
  const mean = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) mean[j]! += v[i * m + j]! * alpha[i]!;
  }
  // Forward substitution on all m columns at once, row by row, so the inner loops run along contiguous rows.
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[i * n + k]!;
      for (let j = 0; j < m; j++) v[row + j]! -= lik * v[k * m + j]!;
    }
    const lii = l[i * n + i]!;
    for (let j = 0; j < m; j++) v[row + j]! /= lii;
  }
  const cov = new Float64Array(m * m);
  if (includeNoise) kernel.matrix(theta, xs, cov);
  else kernel.cross(theta, xs, xs, cov);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let a = 0; a < m; a++) {
      const va = v[row + a]!;
      for (let b = 0; b <= a; b++) cov[a * m + b]! -= va * v[row + b]!;
    }
  }
  const s2 = scale * scale;
  for (let a = 0; a < m; a++) {
    for (let b = 0; b <= a; b++) {
      const c = cov[a * m + b]! * s2;
      cov[a * m + b] = c;
      cov[b * m + a] = c;
    }
  }
  for (let j = 0; j < m; j++) mean[j] = mean[j]! * scale + offset;
  return { mean, cov };
}
