/**
 * The Diebold–Mariano test: hand-computed cases, closed-form Student-t tails, and numbers from an independent
 * Python computation (numpy from the definition, cross-checked there against statsmodels' HAC covariance).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  dieboldMariano,
  hacLag,
  logGamma,
  lossDifferential,
  studentTwoSided,
  type DmWeights,
} from '../../../forecast/dm.ts';

type RefCase = {
  name: string;
  lag: number;
  weights: DmWeights;
  d: number[];
  meanDiff: number;
  variance: number;
  rawStat: number;
  stat: number;
  p: number;
  errorsModel?: number[];
  errorsBase?: number[];
};
const REF = JSON.parse(
  readFileSync(new URL('../../fixtures/forecast/dm_references.json', import.meta.url), 'utf8'),
) as { cases: RefCase[]; studentTwoSided: { t: number; df: number; p: number }[] };

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-300, Math.abs(b));

describe('Diebold–Mariano by hand', () => {
  it('h = 1: d = [1, −1, 3, 1] gives √2 raw, √1.5 after HLN, and the t(3) tail in closed form', () => {
    const r = dieboldMariano([1, -1, 3, 1], { lag: 0 });
    expect(r.meanDiff).toBe(1);
    expect(r.variance).toBeCloseTo(2, 14); // γ₀ = (0 + 4 + 4 + 0)/4
    expect(r.rawStat).toBeCloseTo(Math.SQRT2, 14);
    expect(r.stat).toBeCloseTo(Math.sqrt(1.5), 14); // × √((4 + 1 − 2)/4)
    // t(3): P(|T| ≥ t) = 1 − (2/π)(u/(1 + u²) + atan u), u = t/√3.
    const u = r.stat / Math.sqrt(3);
    expect(r.p).toBeCloseTo(1 - (2 / Math.PI) * (u / (1 + u * u) + Math.atan(u)), 12);
  });

  it('lag 1: Bartlett halves γ₁; a negative uniform variance falls back to Bartlett', () => {
    // d = [2, 0, 2, 0]: d̄ = 1, γ₀ = 1, γ₁ = (−1 − 1 − 1)/4 = −3/4.
    const b = dieboldMariano([2, 0, 2, 0], { lag: 1 });
    expect(b.variance).toBeCloseTo(1 + 2 * 0.5 * -0.75, 14);
    expect(b.rawStat).toBeCloseTo(1 / Math.sqrt(0.25 / 4), 12);
    // HLN with H = 2, n = 4: √((4 + 1 − 4 + 2/4)/4).
    expect(b.stat).toBeCloseTo(4 * Math.sqrt(1.5 / 4), 12);
    const u = dieboldMariano([2, 0, 2, 0], { lag: 1, weights: 'uniform' }); // 1 − 3/2 < 0
    expect(u.weights).toBe('bartlett');
    expect(u.stat).toBe(b.stat);
  });

  it('is positive when the model is worse than the baseline and negative when better', () => {
    const big = [1.5, -2, 1.8, -1.2, 2.2, -1.7];
    const small = [0.5, -0.4, 0.6, -0.3, 0.2, -0.5];
    expect(dieboldMariano(lossDifferential(big, small), { lag: 0 }).stat).toBeGreaterThan(0);
    expect(dieboldMariano(lossDifferential(small, big), { lag: 0 }).stat).toBeLessThan(0);
  });

  it('says nothing when the losses are identical, and NaN for fewer than two pairs', () => {
    expect(dieboldMariano([0, 0, 0, 0], { lag: 2 })).toMatchObject({ stat: 0, p: 1 });
    expect(dieboldMariano([0.3], { lag: 0 }).stat).toBeNaN();
  });

  it('takes the HAC lag from the horizon and the stride between origins', () => {
    expect([hacLag(1, 1), hacLag(5, 1), hacLag(10, 1)]).toEqual([0, 4, 9]);
    expect([hacLag(1, 5), hacLag(5, 5), hacLag(10, 5), hacLag(10, 3)]).toEqual([0, 0, 1, 3]);
  });
});

describe('Student t tails', () => {
  it('match the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [0, 0.3, 1, 2.5, 12]) {
      expect(studentTwoSided(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 13);
      expect(studentTwoSided(t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 13);
    }
    expect(studentTwoSided(Infinity, 5)).toBe(0);
  });

  it('match scipy', () => {
    for (const r of REF.studentTwoSided) expect(rel(studentTwoSided(r.t, r.df), r.p)).toBeLessThan(1e-9);
  });

  it('log Γ matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});

describe('Diebold–Mariano against the Python reference', () => {
  for (const c of REF.cases) {
    it(c.name, () => {
      const d = c.errorsModel ? lossDifferential(c.errorsModel, c.errorsBase!) : c.d;
      const r = dieboldMariano(d, { lag: c.lag, weights: c.weights });
      expect(r.weights).toBe(c.weights);
      expect(rel(r.meanDiff, c.meanDiff)).toBeLessThan(1e-12);
      expect(rel(r.variance, c.variance)).toBeLessThan(1e-10);
      expect(rel(r.rawStat, c.rawStat)).toBeLessThan(1e-10);
      expect(rel(r.stat, c.stat)).toBeLessThan(1e-10);
      expect(rel(r.p, c.p)).toBeLessThan(1e-8);
    });
  }
});
