/** Bound-constrained minimization of a few variables: projected L-BFGS with Armijo backtracking. */

export interface MinimizeOptions {
  /** Stop when the largest projected-gradient component is below this. Default 1e-5. */
  readonly gtol?: number;
  /** Stop when an iteration lowers f by less than ftol·max(|f|, 1). Default 1e-9. */
  readonly ftol?: number;
  /** Iteration cap per start. Default 100. */
  readonly maxIterations?: number;
  /** L-BFGS memory (pairs kept). Default 8. */
  readonly memory?: number;
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** False when the iteration cap or a failed line search stopped it. */
  readonly converged: boolean;
}

/** f(x), writing ∇f(x) into `grad`; +Infinity marks an infeasible point, which the line search backs away from. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** Minimizes `fg` over the box [lower, upper] from `x0` (clamped into the box). */
export function minimizeBounded(
  fg: Objective,
  x0: ArrayLike<number>,
  lower: Float64Array,
  upper: Float64Array,
  options: MinimizeOptions = {},
): MinimizeResult {
  const { gtol = 1e-5, ftol = 1e-9, maxIterations = 100, memory = 8 } = options;
  const n = x0.length;
  const x = Float64Array.from(x0, (v, i) => clamp(v, lower[i]!, upper[i]!));
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  const result = (iterations: number, converged: boolean) => ({ x, f, iterations, evaluations, converged });
  if (!Number.isFinite(f)) return result(0, false);

  const pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
  const d = new Float64Array(n);
  const xn = new Float64Array(n);
  let gn = new Float64Array(n);
  const a = new Float64Array(memory);
  const free = new Float64Array(n);
  const dot = (u: Float64Array, v: Float64Array) => {
    let acc = 0;
    for (let i = 0; i < n; i++) acc += u[i]! * v[i]! * free[i]!;
    return acc;
  };

  for (let it = 0; it < maxIterations; it++) {
    // Two-loop recursion on the free components: d = −H·g.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      // A component whose gradient pushes it out through the bound it sits on is frozen for this step.
      const pinned = (x[i]! <= lower[i]! && g[i]! > 0) || (x[i]! >= upper[i]! && g[i]! < 0);
      free[i] = pinned ? 0 : 1;
      if (free[i]) pgMax = Math.max(pgMax, Math.abs(g[i]!));
      d[i] = -g[i]! * free[i]!;
    }
    if (pgMax <= gtol) return result(it, true);
    for (let k = pairs.length - 1; k >= 0; k--) {
      const { s, y, rho } = pairs[k]!;
      a[k] = rho * dot(s, d);
      for (let i = 0; i < n; i++) d[i]! -= a[k]! * y[i]! * free[i]!;
    }
    const last = pairs.at(-1);
    if (last) {
      const gamma = dot(last.s, last.y) / dot(last.y, last.y);
      if (gamma > 0 && Number.isFinite(gamma)) for (let i = 0; i < n; i++) d[i]! *= gamma;
    }
    pairs.forEach(({ s, y, rho }, k) => {
      const b = rho * dot(y, d);
      for (let i = 0; i < n; i++) d[i]! += (a[k]! - b) * s[i]! * free[i]!;
    });
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // The curvature pairs no longer describe this face of the box: forget them, fall back to steepest descent.
      pairs.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]! * free[i]!;
      slope = dot(g, d);
    }
    // Without curvature information a unit step along −g can be wild in log space; cap its largest component at 1.
    let step = 1;
    if (pairs.length === 0) step = Math.min(1, 1 / d.reduce((m, v) => Math.max(m, Math.abs(v)), 0));

    let fn = Number.POSITIVE_INFINITY;
    let decrease = 0;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xn[i] = clamp(x[i]! + step * d[i]!, lower[i]!, upper[i]!);
      decrease = 0;
      for (let i = 0; i < n; i++) decrease += g[i]! * (xn[i]! - x[i]!);
      fn = fg(xn, gn);
      evaluations++;
      if (Number.isFinite(fn) && fn <= f + 1e-4 * decrease) break;
      step *= Number.isFinite(fn) ? 0.5 : 0.1;
      fn = Number.POSITIVE_INFINITY;
    }
    if (!Number.isFinite(fn)) {
      if (pairs.length === 0) return result(it, false);
      pairs.length = 0;
      continue;
    }

    const sk = Float64Array.from(xn, (v, i) => v - x[i]!);
    const yk = Float64Array.from(gn, (v, i) => v - g[i]!);
    const sy = sk.reduce((acc, v, i) => acc + v * yk[i]!, 0);
    // Only pairs with positive curvature keep the inverse-Hessian estimate positive definite.
    const norms = Math.sqrt(yk.reduce((acc, v) => acc + v * v, 0) * sk.reduce((acc, v) => acc + v * v, 0));
    if (sy > 1e-12 * norms) {
      if (pairs.length === memory) pairs.shift();
      pairs.push({ s: sk, y: yk, rho: 1 / sy });
    }
    const fPrev = f;
    x.set(xn);
    f = fn;
    [g, gn] = [gn, g];
    if (fPrev - f <= ftol * Math.max(Math.abs(f), Math.abs(fPrev), 1)) return result(it + 1, true);
  }
  return result(maxIterations, false);
}
