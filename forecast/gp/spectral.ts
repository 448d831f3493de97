/**
 * O(n) marginal likelihood for K(θ) = a·A + b·I (e.g. Wiener + white): with A = QΛQᵀ once and z = Qᵀy,
 *   log p(y) = −½ Σ zᵢ²/dᵢ − ½ Σ log dᵢ − (n/2) log 2π,  dᵢ = a·λᵢ + b,
 *   ∂/∂log a = ½ Σ (zᵢ²/dᵢ² − 1/dᵢ)·a·λᵢ,  ∂/∂log b = ½ Σ (zᵢ²/dᵢ² − 1/dᵢ)·b.
 * The transformations are applied to y as they happen rather than accumulating eigenvectors.
 */

type Eigen = { lambda: Float64Array; z: Float64Array };

/** Eigenvalues λ of the symmetric n×n matrix `a` (row-major, destroyed) and z = Qᵀy; null if QL fails to converge. */
export function eigenProject(a: Float64Array, n: number, y: Float64Array): Eigen | null {
  const z = Float64Array.from(y);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  const d = new Float64Array(n);
  const e = new Float64Array(n); // e[i] = T[i+1][i], the subdiagonal of the tridiagonal form
  // Householder tridiagonalization, lower triangle only: A ← H·A·H with H = I − 2vvᵀ zeroing column k below k+1.
  for (let k = 0; k < n - 2; k++) {
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += a[i * n + k]! ** 2;
    const x0 = a[(k + 1) * n + k]!;
    const alpha = x0 > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const vnorm2 = norm2 - x0 * x0 + (x0 - alpha) ** 2;
    d[k] = a[k * n + k]!;
    e[k] = alpha;
    if (vnorm2 === 0) continue; // column already zero below the subdiagonal
    const vs = 1 / Math.sqrt(vnorm2);
    for (let i = k + 1; i < n; i++) v[i] = (i === k + 1 ? x0 - alpha : a[i * n + k]!) * vs;
    // p = A·v on the trailing block, then w = p − (vᵀp)·v, and A ← A − 2(v·wᵀ + w·vᵀ).
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j <= i; j++) s += a[i * n + j]! * v[j]!;
      for (let j = i + 1; j < n; j++) s += a[j * n + i]! * v[j]!;
      w[i] = s;
      vp += s * v[i]!;
    }
    for (let i = k + 1; i < n; i++) w[i]! -= vp * v[i]!;
    for (let i = k + 1; i < n; i++) {
      const vi = v[i]!;
      const wi = w[i]!;
      for (let j = k + 1; j <= i; j++) a[i * n + j]! -= 2 * (vi * w[j]! + wi * v[j]!);
    }
    let vz = 0;
    for (let i = k + 1; i < n; i++) vz += v[i]! * z[i]!;
    for (let i = k + 1; i < n; i++) z[i]! -= 2 * vz * v[i]!;
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + (n - 2)]!;
    e[n - 2] = a[(n - 1) * n + (n - 2)]!;
  }
  if (n >= 1) d[n - 1] = a[n * n - 1]!;
  return tridiagonalQl(d, e, z) ? { lambda: d, z } : null;
}

/** Implicit QL (JAMA's tql2) on the tridiagonal (d, e), rotating z: eigenvalues into d; false if no convergence. */
function tridiagonalQl(d: Float64Array, e: Float64Array, z: Float64Array): boolean {
  const n = d.length;
  let f = 0;
  let tst1 = 0;
  let budget = 30 * n;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > Number.EPSILON * tst1) m++;
    if (m > l) {
      do {
        if (--budget < 0) return false;
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const zi1 = z[i + 1]!;
          z[i + 1] = s * z[i]! + c * zi1;
          z[i] = c * z[i]! - s * zi1;
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > Number.EPSILON * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  return true;
}

/** log p(y | θ) for K = exp(θ[scaleIndex])·A + exp(θ[1 − scaleIndex])·I, ∇ into `grad`; −∞ if some dᵢ ≤ 0. */
export function spectralLml(
  lambda: Float64Array,
  z: Float64Array,
  scaleIndex: 0 | 1,
  theta: Float64Array,
  grad?: Float64Array,
): number {
  const a = Math.exp(theta[scaleIndex]!);
  const b = Math.exp(theta[1 - scaleIndex]!);
  const n = lambda.length;
  let fit = 0;
  let logDet = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < n; i++) {
    // A is positive semi-definite by construction; a rounding-level negative eigenvalue is really zero.
    const al = a * Math.max(0, lambda[i]!);
    const di = al + b;
    if (!(di > 0)) return Number.NEGATIVE_INFINITY;
    const zi = z[i]!;
    const q = (zi * zi) / (di * di) - 1 / di;
    fit += (zi * zi) / di;
    logDet += Math.log(di);
    ga += q * al;
    gb += q * b;
  }
  if (grad) {
    grad[scaleIndex] = 0.5 * ga;
    grad[1 - scaleIndex] = 0.5 * gb;
  }
  return -0.5 * fit - 0.5 * logDet - 0.5 * n * Math.log(2 * Math.PI);
}
