/** Cholesky-based algebra on small row-major matrices in caller-owned buffers (a fit factorizes hundreds). */

/** How hard to try before declaring a covariance matrix not positive definite. */
export interface JitterOptions {
  /** First jitter, relative to the mean of the diagonal. Default 1e-10. */
  readonly initial?: number;
  /** Largest jitter tried, relative to the mean of the diagonal; beyond it the factorization fails. Default 1e-6. */
  readonly max?: number;
}

const MAX_JITTER = 1e-6;

/** Cholesky factor L (lower, upper part zeroed) of `a + shift·I` into `l`; false if a pivot is not positive. */
function choleskyInto(a: Float64Array, n: number, l: Float64Array, shift = 0): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = s / l[rj + j]!;
    }
    let d = a[ri + i]! + shift;
    for (let k = 0; k < i; k++) d -= l[ri + k]! * l[ri + k]!;
    // `!(d > 0)` also rejects NaN, which a kernel with overflowing hyperparameters can produce.
    if (!(d > 0)) return false;
    l[ri + i] = Math.sqrt(d);
    for (let j = i + 1; j < n; j++) l[ri + j] = 0;
  }
  return true;
}

/** Cholesky factor of `a`, with jitter escalating ×10 only if needed: the absolute jitter added, NaN if none worked. */
export function choleskyWithJitter(
  a: Float64Array,
  n: number,
  l: Float64Array,
  options: JitterOptions = {},
): number {
  if (choleskyInto(a, n, l)) return 0;
  const initial = options.initial ?? 1e-10;
  const max = options.max ?? MAX_JITTER;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i]!;
  // A zero (or broken) diagonal gives no scale to be relative to; unit scale keeps the jitter meaningful.
  const scale = trace > 0 && Number.isFinite(trace) ? trace / n : 1;
  // The slack keeps rounding in the repeated ×10 from skipping the last step; initial ≤ 0 means no jitter.
  for (let rel = initial; rel > 0 && rel <= max * (1 + 1e-9); rel *= 10) {
    if (choleskyInto(a, n, l, rel * scale)) return rel * scale;
  }
  return Number.NaN;
}

/** Cholesky factor of an n×n matrix with the default jitter escalation; throws if that fails. */
export function cholesky(a: Float64Array, n: number): { l: Float64Array; jitter: number } {
  if (a.length !== n * n) throw new RangeError(`expected a ${n}×${n} matrix, got ${a.length} entries`);
  const l = new Float64Array(n * n);
  const jitter = choleskyWithJitter(a, n, l);
  if (Number.isNaN(jitter))
    throw new Error(
      `matrix is not positive definite, even with jitter up to ${MAX_JITTER.toExponential()} × its mean diagonal`,
    );
  return { l, jitter };
}

/** Solves (L·Lᵀ)·z = b in place (`b` becomes z): forward substitution with L, then back substitution with Lᵀ. */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * b[k]!;
    b[i] = s / l[i * n + i]!;
  }
}

/** log det(L·Lᵀ) = 2·Σ log Lᵢᵢ. */
export function logDetFromCholesky(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}

/** Lower triangle of (L·Lᵀ)⁻¹ into `out` (upper part untouched) through L⁻¹ in `work` (n×n): about n³/3 mults. */
export function inverseFromCholeskyLower(
  l: Float64Array,
  n: number,
  out: Float64Array,
  work: Float64Array,
): void {
  // work holds Uᵀ where U = L⁻¹ is lower triangular: work[j·n + i] = U[i][j], so both loops below read rows.
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    work[rj + j] = 1 / l[rj + j]!;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s += l[ri + k]! * work[rj + k]!;
      work[rj + i] = -s / l[ri + i]!;
    }
  }
  // (L⁻ᵀL⁻¹)ᵢⱼ = Σ_{k ≥ max(i,j)} U[k][i]·U[k][j] = Σ_k work[i·n + k]·work[j·n + k].
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += work[ri + k]! * work[rj + k]!;
      out[ri + j] = s;
    }
  }
}
