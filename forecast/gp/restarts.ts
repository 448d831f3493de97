/** Seeded restarts for the bounded minimizer: a GP likelihood can have several local optima (smooth vs noisy). */
import { minimizeBounded, type MinimizeOptions, type MinimizeResult, type Objective } from './optimize.ts';

/** mulberry32: a tiny seeded generator of uniforms in [0, 1), plenty for choosing restart points. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RestartOptions extends MinimizeOptions {
  /** Extra starts drawn uniformly in the log-space box after x0. Default 2. */
  readonly restarts?: number;
  /** Seed of the restart generator. Default 0. */
  readonly seed?: number;
}

/** `minimizeBounded` from `x0` and `restarts` seeded points: the lowest minimum (earliest on ties). */
export function minimizeWithRestarts(
  fg: Objective,
  x0: ArrayLike<number>,
  lower: Float64Array,
  upper: Float64Array,
  options: RestartOptions = {},
): MinimizeResult {
  const random = mulberry32(options.seed ?? 0);
  let best = minimizeBounded(fg, x0, lower, upper, options);
  let evaluations = best.evaluations;
  for (let r = 0; r < (options.restarts ?? 2); r++) {
    const start = Float64Array.from(lower, (lo, i) => lo + random() * (upper[i]! - lo));
    const run = minimizeBounded(fg, start, lower, upper, options);
    evaluations += run.evaluations;
    if (run.f < best.f) best = run;
  }
  return { ...best, evaluations };
}
