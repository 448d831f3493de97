/**
 * The library against numbers computed outside it (test/fixtures/gp/make_references.py: scikit-learn where it
 * has the kernel, numpy otherwise, optimum by scipy's L-BFGS-B from 31 starts plus Newton polishing).
 * Acceptance: posterior, likelihood and optimum within 1e-6.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitGp, makeLml, normalization, type Normalize } from '../../../forecast/gp/index.ts';
import { kernelFromSpec, type KernelSpec } from './kernel-spec.ts';

interface Case {
  name: string;
  dataset: string;
  normalize: Normalize;
  kernel: KernelSpec;
  names: string[];
  theta: number[];
  source: string;
  mean: number[];
  cov: number[];
  lml: number;
  grad: number[];
  optimum?: {
    theta: number[];
    lml: number;
    atLower: boolean[];
    atUpper: boolean[];
    wellConditioned: boolean;
  };
}

interface References {
  datasets: Record<string, { x: number[]; y: number[]; xStar: number[] }>;
  cases: Case[];
}

const refs = JSON.parse(
  readFileSync(new URL('../../fixtures/gp/references.json', import.meta.url), 'utf8'),
) as References;

/** |actual − expected| ≤ 1e-6·max(1, |expected|) entry by entry, reporting the worst offender. */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 1e-6) {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  expected.forEach((e, i) => {
    worst = Math.max(worst, Math.abs(actual[i]! - e) / Math.max(1, Math.abs(e)));
  });
  expect(worst, what).toBeLessThanOrEqual(tol);
}

const tight = { restarts: 4, gtol: 1e-10, ftol: 0, maxIterations: 1000 };

describe('GP against independent references', () => {
  it('covers every kernel kind, sums, products, fixed parameters and all normalizations', () => {
    const text = JSON.stringify(refs.cases.map((c) => c.kernel));
    for (const kind of ['constant', 'white', 'rbf', 'rq', 'linear', 'wiener', 'sum', 'product', 'fixed']) {
      expect(text).toContain(`"${kind}"`);
    }
    for (const nu of [0.5, 1.5, 2.5]) expect(text).toContain(`"nu":${nu}`);
    expect(new Set(refs.cases.map((c) => c.normalize))).toEqual(new Set(['none', 'standardize', 'anchor']));
  });

  for (const c of refs.cases) {
    describe(`${c.name} (${c.source})`, () => {
      const data = refs.datasets[c.dataset]!;
      const kernel = kernelFromSpec(c.kernel).withTheta(c.theta);

      it('names its hyperparameters in the reference order', () => {
        expect(kernel.names).toEqual(c.names);
      });

      it('matches the posterior mean and full covariance at fixed hyperparameters', () => {
        const model = fitGp({ x: data.x, y: data.y, kernel, normalize: c.normalize, optimizer: false });
        const p = model.predict(data.xStar);
        expectClose(p.mean, c.mean, 'mean');
        expectClose(p.cov, c.cov, 'cov');
        expect(model.logMarginalLikelihood).toBeCloseTo(c.lml, 9);
      });

      it('matches the log marginal likelihood and its gradient', () => {
        const x = Float64Array.from(data.x);
        const y = Float64Array.from(data.y);
        const norm = normalization(x, y, c.normalize);
        const lml = makeLml(
          kernel,
          x,
          y.map((v) => (v - norm.offset) / norm.scale),
        );
        const grad = new Float64Array(c.theta.length);
        expectClose([lml.evaluate(Float64Array.from(c.theta), grad)], [c.lml], 'lml');
        expectClose(grad, c.grad, 'gradient');
      });

      const opt = c.optimum;
      if (!opt) return;
      for (const spectral of kernel.form === 'general' ? [true] : [true, false]) {
        it(`finds the optimum${kernel.form === 'general' ? '' : spectral ? ' (spectral)' : ' (dense)'}`, () => {
          const model = fitGp({
            x: data.x,
            y: data.y,
            kernel: kernelFromSpec(c.kernel),
            normalize: c.normalize,
            optimizer: tight,
            spectral,
          });
          expect(model.optimization?.spectral).toBe(spectral && kernel.form !== 'general');
          expect(Math.abs(model.logMarginalLikelihood - opt.lml)).toBeLessThanOrEqual(1e-6);
          const theta = model.kernel.theta;
          opt.atLower.forEach((at, i) => at && expect(theta[i]).toBe(kernel.lower[i]));
          opt.atUpper.forEach((at, i) => at && expect(theta[i]).toBe(kernel.upper[i]));
          // Log-space differences: 1e-6 here is a relative 1e-6 on the hyperparameter itself.
          if (opt.wellConditioned) expectClose(theta, opt.theta, 'optimal log-hyperparameters');
        });
      }
    });
  }
});
