/**
 * fitGp end to end: closed-form posteriors, the Wiener model's persistence with a σ²h variance, the full
 * covariance of future increments against an independent ml-matrix computation, determinism, bounds, and the
 * spectral and dense paths agreeing.
 */
import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  constant,
  fitGp,
  matern,
  mulberry32,
  product,
  rbf,
  sum,
  white,
  wiener,
} from '../../../forecast/gp/index.ts';

const fixed = (value: number) => ({ value, fixed: true });

/** A random walk with small observation noise, like one-minute prices. */
function walk(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  let level = 20_000;
  return Array.from({ length: n }, () => (level += 8 * gauss()) + 0.5 * gauss());
}

/** Gaussian conditioning with ml-matrix: Σ** − Σ*ₓΣₓₓ⁻¹Σₓ* and Σ*ₓΣₓₓ⁻¹y, from a covariance function. */
function conditionWithMlMatrix(
  k: (a: number, b: number, same: boolean) => number,
  x: number[],
  y: number[],
  xs: number[],
) {
  const kxx = Matrix.from1DArray(
    x.length,
    x.length,
    x.flatMap((a, i) => x.map((b, j) => k(a, b, i === j))),
  );
  const ksx = Matrix.from1DArray(
    xs.length,
    x.length,
    xs.flatMap((a) => x.map((b) => k(a, b, false))),
  );
  const kss = Matrix.from1DArray(
    xs.length,
    xs.length,
    xs.flatMap((a, i) => xs.map((b, j) => k(a, b, i === j))),
  );
  const w = ksx.mmul(inverse(kxx));
  return {
    mean: w.mmul(Matrix.columnVector(y)).to1DArray(),
    cov: kss.sub(w.mmul(ksx.transpose())).to1DArray(),
  };
}

describe('fitGp closed forms', () => {
  it('one training point: mean k(x*, x)·y/(k(x, x) + s), covariance K** − k kᵀ/(k(x, x) + s)', () => {
    const kernel = sum(
      product(constant({ value: fixed(2) }), rbf({ lengthScale: fixed(1) })),
      white({ noise: fixed(0.5) }),
    );
    const model = fitGp({ x: [0], y: [3], kernel, normalize: 'none' });
    const { mean, cov } = model.predict([0, 1]);
    const k01 = 2 * Math.exp(-0.5);
    expect(mean[0]).toBeCloseTo((2 * 3) / 2.5, 14);
    expect(mean[1]).toBeCloseTo((k01 * 3) / 2.5, 14);
    expect(cov[0]).toBeCloseTo(2.5 - 4 / 2.5, 14); // observation: noise included
    expect(cov[1]).toBeCloseTo(k01 - (2 * k01) / 2.5, 14);
    expect(cov[3]).toBeCloseTo(2.5 - (k01 * k01) / 2.5, 14);
    expect(model.optimization).toBeNull(); // nothing free to optimize
  });

  it('white noise alone: the sample mean everywhere, noise × variance of the data on the diagonal', () => {
    const y = [1, 4, 2, 7, 6];
    const model = fitGp({ x: [0, 1, 2, 3, 4], y, kernel: white({ noise: fixed(0.4) }) });
    const m = 4;
    const v = y.reduce((s, t) => s + (t - m) ** 2, 0) / y.length;
    const noisy = model.predict([1, 10]);
    expect(Array.from(noisy.mean)).toEqual([m, m]);
    expect(Array.from(noisy.cov).map((c) => c / v)).toEqual(
      [0.4, 0, 0, 0.4].map((c) => expect.closeTo(c, 14)),
    );
    expect(Array.from(model.predict([1, 10], { includeNoise: false }).cov)).toEqual([0, 0, 0, 0]);
  });

  it('Wiener without noise: persistence, with variance σ²·h and covariance σ²·min(h, h′) ahead', () => {
    const y = [5, 3, 4, 8, 6, 7, 7.5, 9, 6.5, 8];
    const x = y.map((_, i) => i + 1); // anchor 0 lies before the first point, so K is positive definite
    const model = fitGp({ x, y, kernel: wiener({ variance: fixed(2) }), normalize: 'none' });
    const { mean, cov } = model.predict([10, 11, 15, 20]);
    for (const mu of mean) expect(mu).toBeCloseTo(8, 10);
    const expected = [0, 0, 0, 0, 0, 2, 2, 2, 0, 2, 10, 10, 0, 2, 10, 20];
    expected.forEach((c, i) => expect(cov[i]).toBeCloseTo(c, 9));
  });

  it('Wiener + white with anchor normalization: the mean at the anchor is the data, then persistence with a √h interval', () => {
    const y = walk(60, 11);
    const x = y.map((_, i) => i);
    const model = fitGp({ x, y, kernel: sum(wiener({ anchor: 0 }), white()), normalize: 'anchor' });
    expect(model.optimization?.spectral).toBe(true);
    const sigma2 = model.params[0]!.value * model.normalization.scale ** 2;
    const { mean, cov } = model.predict([0, 59, 60, 64, 69], { includeNoise: false });
    expect(mean[0]).toBe(y[0]);
    expect(cov[0]).toBe(0);
    // The noise goes to its floor, so the latent path runs through the data: the forecast is the last value.
    expect(model.params[1]!.value).toBeCloseTo(1e-5, 10);
    for (const i of [1, 2, 3, 4]) expect(mean[i]! - y[59]!).toBeCloseTo(0, 2);
    [1, 5, 10].forEach((h, i) => expect(cov[(i + 2) * 5 + i + 2]! / (sigma2 * h)).toBeCloseTo(1, 3));
  });
});

describe('full predictive covariance', () => {
  it('gives Var(y(T+5) − y(T)) = 5σ² + 2s for the Wiener model, however uncertain y(T) is', () => {
    const sigma2 = 1.7;
    const s = 0.6;
    const y = walk(20, 3).map((v) => (v - 20_000) / 8);
    const x = y.map((_, i) => i);
    const kernel = sum(wiener({ variance: fixed(sigma2) }), white({ noise: fixed(s) }));
    const model = fitGp({ x, y, kernel, normalize: 'none' });
    const T = 19;
    const { cov } = model.predict([T, T + 5]);
    expect(cov[0]! + cov[3]! - 2 * cov[1]!).toBeCloseTo(5 * sigma2 + 2 * s, 10);
    // The diagonal alone would count y(T)'s own uncertainty twice instead of cancelling it.
    expect(cov[0]! + cov[3]!).toBeGreaterThan(5 * sigma2 + 2 * s + 0.1);
    const latent = model.predict([T, T + 5], { includeNoise: false }).cov;
    expect(latent[0]! + latent[3]! - 2 * latent[1]!).toBeCloseTo(5 * sigma2, 10);
  });

  it('gives the variance of a sum of future increments that Gaussian conditioning gives (Matérn-1/2 on increments)', () => {
    const prices = walk(61, 5);
    const y = prices.slice(1).map((p, i) => p - prices[i]!);
    const x = y.map((_, i) => i);
    const [c, ell, s] = [30, 2.5, 40];
    const kernel = sum(
      product(constant({ value: fixed(c) }), matern({ nu: 0.5, lengthScale: fixed(ell) })),
      white({ noise: fixed(s) }),
    );
    const model = fitGp({ x, y, kernel, normalize: 'none' });
    const ahead = [60, 61, 62, 63, 64];
    const { mean, cov } = model.predict(ahead);
    const ref = conditionWithMlMatrix(
      (a, b, same) => c * Math.exp(-Math.abs(a - b) / ell) + (same ? s : 0),
      x,
      y,
      ahead,
    );
    mean.forEach((m, i) => expect(m).toBeCloseTo(ref.mean[i]!, 9));
    cov.forEach((v, i) => expect(v).toBeCloseTo(ref.cov[i]!, 9));
    const sumVar = cov.reduce((acc, v) => acc + v, 0); // 1ᵀC1: the variance of the 5-minute change
    const diagOnly = ahead.reduce((acc, _, i) => acc + cov[i * 6]!, 0);
    expect(sumVar).toBeCloseTo(
      ref.cov.reduce((acc, v) => acc + v, 0),
      8,
    );
    expect(sumVar / diagOnly).toBeGreaterThan(1.5); // positive correlation between horizons matters
  });
});

describe('fitGp optimization', () => {
  const y = walk(40, 8);
  const x = y.map((_, i) => i);

  it('is deterministic: the same seed gives identical hyperparameters and predictions', () => {
    const kernel = sum(product(constant(), matern({ nu: 1.5, lengthScale: 5 })), white({ noise: 0.1 }));
    const a = fitGp({ x, y, kernel, seed: 17, optimizer: { restarts: 3 } });
    const b = fitGp({ x, y, kernel, seed: 17, optimizer: { restarts: 3 } });
    expect(Array.from(b.kernel.theta)).toEqual(Array.from(a.kernel.theta));
    expect(b.predict([40, 45])).toEqual(a.predict([40, 45]));
  });

  it('respects the bounds, stopping exactly on a binding one', () => {
    // A walk wants a long length scale; cap it at 2 minutes.
    const kernel = sum(
      product(
        constant({ value: { value: 1, bounds: [0.5, 2] } }),
        rbf({ lengthScale: { value: 1, bounds: [0.1, 2] } }),
      ),
      white({ noise: { value: 0.1, bounds: [1e-3, 1] } }),
    );
    for (const seed of [1, 2, 3]) {
      const model = fitGp({ x, y, kernel, seed, optimizer: { restarts: 3 } });
      const t = model.kernel.theta;
      t.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(kernel.lower[i]!);
        expect(v).toBeLessThanOrEqual(kernel.upper[i]!);
      });
      expect(t[1]).toBe(Math.log(2));
    }
  });

  it('reaches the same optimum through the spectral and the dense path', () => {
    const kernel = sum(wiener({ anchor: 0, variance: 0.3 }), white({ noise: 0.01 }));
    const opts = { x, y, kernel, normalize: 'anchor' as const, optimizer: { gtol: 1e-9, ftol: 0 } };
    const fast = fitGp(opts);
    const dense = fitGp({ ...opts, spectral: false });
    expect(fast.optimization?.spectral).toBe(true);
    expect(dense.optimization?.spectral).toBe(false);
    expect(fast.logMarginalLikelihood).toBeCloseTo(dense.logMarginalLikelihood, 8);
    fast.kernel.theta.forEach((t, i) => expect(t).toBeCloseTo(dense.kernel.theta[i]!, 6));
  });

  it('warm-starts from a fitted kernel', () => {
    const kernel = sum(wiener({ anchor: 0 }), white());
    const first = fitGp({ x, y, kernel, normalize: 'anchor' });
    const again = fitGp({ x, y, kernel: first.kernel, normalize: 'anchor', optimizer: { restarts: 0 } });
    expect(again.optimization!.evaluations).toBeLessThan(first.optimization!.evaluations);
    expect(again.logMarginalLikelihood).toBeCloseTo(first.logMarginalLikelihood, 6);
  });

  it('rejects unusable input with a reason', () => {
    const kernel = sum(rbf(), white());
    expect(() => fitGp({ x: [0, 1], y: [1], kernel })).toThrow(/as many targets as inputs/);
    expect(() => fitGp({ x: [], y: [], kernel })).toThrow(/at least one/);
    expect(() => fitGp({ x: [0, Number.NaN], y: [1, 2], kernel })).toThrow(/x\[1\] is not a finite number/);
    const model = fitGp({ x: [0, 1], y: [1, 2], kernel });
    expect(() => model.predict([Number.POSITIVE_INFINITY])).toThrow(/xStar\[0\]/);
  });
});
