/** The bounded quasi-Newton minimizer and its seeded restarts on functions with known minima. */
import { describe, expect, it } from 'vitest';
import {
  minimizeBounded,
  minimizeWithRestarts,
  mulberry32,
  type Objective,
} from '../../../forecast/gp/index.ts';

const box = (lo: number[], hi: number[]) => [Float64Array.from(lo), Float64Array.from(hi)] as const;
const tight = { gtol: 1e-10, ftol: 0, maxIterations: 500 };

const rosenbrock: Objective = (x, g) => {
  const [a, b] = [x[0]!, x[1]!];
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe('minimizeBounded', () => {
  it('finds the interior minimum of the Rosenbrock function', () => {
    const [lo, hi] = box([-2, -2], [2, 2]);
    const r = minimizeBounded(rosenbrock, [-1.2, 1], lo, hi, tight);
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 7);
    expect(r.x[1]).toBeCloseTo(1, 7);
  });

  it('stops exactly on an active bound and still minimizes the free coordinates', () => {
    // Unconstrained minimum (3, −1) lies outside x ≤ 2; the constrained one is (2, −1).
    const f: Objective = (x, g) => {
      g[0] = 2 * (x[0]! - 3) + x[1]! + 1;
      g[1] = 20 * (x[1]! + 1) + x[0]! - 3;
      return (x[0]! - 3) ** 2 + 10 * (x[1]! + 1) ** 2 + (x[0]! - 3) * (x[1]! + 1);
    };
    const [lo, hi] = box([0, -5], [2, 5]);
    const r = minimizeBounded(f, [0.5, 4], lo, hi, tight);
    expect(r.x[0]).toBe(2);
    // With x pinned at 2: ∂f/∂y = 20(y + 1) − 1 = 0.
    expect(r.x[1]).toBeCloseTo(-1 + 1 / 20, 9);
  });

  it('clamps a start outside the box and never evaluates outside it', () => {
    const [lo, hi] = box([-1, -1], [0.5, 0.5]);
    const seen: number[][] = [];
    const r = minimizeBounded(
      (x, g) => {
        seen.push(Array.from(x));
        return rosenbrock(x, g);
      },
      [5, -5],
      lo,
      hi,
      tight,
    );
    for (const p of seen) p.forEach((v, i) => expect(v >= lo[i]! && v <= hi[i]!).toBe(true));
    expect(r.x[0]).toBeCloseTo(0.5, 9);
    expect(r.x[1]).toBeCloseTo(0.25, 7);
  });

  it('backs away from infeasible points (+Infinity) instead of failing', () => {
    const f: Objective = (x, g) => {
      g[0] = 2 * (x[0]! - 2);
      return x[0]! > 1.5 ? Number.POSITIVE_INFINITY : (x[0]! - 2) ** 2;
    };
    const [lo, hi] = box([-10], [10]);
    const r = minimizeBounded(f, [-5], lo, hi);
    expect(Number.isFinite(r.f)).toBe(true);
    expect(r.x[0]).toBeLessThanOrEqual(1.5);
    expect(r.x[0]).toBeGreaterThan(1);
  });

  it('reports an infeasible start without iterating', () => {
    const [lo, hi] = box([0], [1]);
    const r = minimizeBounded(() => Number.POSITIVE_INFINITY, [0.5], lo, hi);
    expect(r).toMatchObject({ converged: false, iterations: 0, evaluations: 1 });
  });
});

describe('minimizeWithRestarts', () => {
  // Double well: local minimum near x = 0.96, global near x = −1.04.
  const well: Objective = (x, g) => {
    const v = x[0]!;
    g[0] = 4 * v * (v * v - 1) + 0.3;
    return (v * v - 1) ** 2 + 0.3 * v;
  };
  const [lo, hi] = box([-2], [2]);

  it('escapes the local minimum of the first start', () => {
    expect(minimizeBounded(well, [1], lo, hi, tight).x[0]).toBeGreaterThan(0);
    const r = minimizeWithRestarts(well, [1], lo, hi, { ...tight, restarts: 4, seed: 3 });
    expect(r.x[0]).toBeLessThan(-1);
  });

  it('is deterministic for a seed and counts every evaluation', () => {
    const a = minimizeWithRestarts(well, [1], lo, hi, { restarts: 3, seed: 42 });
    const b = minimizeWithRestarts(well, [1], lo, hi, { restarts: 3, seed: 42 });
    expect(b).toEqual(a);
    expect(a.evaluations).toBeGreaterThan(minimizeBounded(well, [1], lo, hi).evaluations);
  });
});

describe('mulberry32', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1) with mean ½', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, mulberry32(seed));
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    const r = mulberry32(9);
    const draws = Array.from({ length: 20_000 }, r);
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    expect(draws.reduce((s, u) => s + u, 0) / draws.length).toBeCloseTo(0.5, 2);
  });
});
