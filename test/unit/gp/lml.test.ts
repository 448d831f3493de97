/**
 * Log marginal likelihood: a one-point closed form, finite-difference checks of the analytic gradient for
 * every kernel kind and compositions, and the spectral (eigendecomposition) path against the dense one and
 * against ml-matrix's eigenvalues.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  constant,
  linear,
  makeLml,
  matern,
  mulberry32,
  product,
  rationalQuadratic,
  rbf,
  sum,
  white,
  wiener,
  type Kernel,
} from '../../../forecast/gp/index.ts';
import { eigenProject, spectralLml } from '../../../forecast/gp/spectral.ts';

const random = mulberry32(7);
const x = Float64Array.from({ length: 15 }, (_, i) => i * 0.7 + random() * 0.3);
const y = x.map((t) => Math.sin(t) + 0.2 * (random() - 0.5));

describe('log marginal likelihood', () => {
  it('equals the Gaussian density of a single point', () => {
    // One observation y = 1.3 under k = c·1 + s: log N(1.3 | 0, c + s), ∂/∂log c = ½(y²/v² − 1/v)·c.
    const k = sum(constant({ value: 2 }), white({ noise: 0.5 }));
    const lml = makeLml(k, Float64Array.of(4), Float64Array.of(1.3));
    const grad = new Float64Array(2);
    const v = 2.5;
    expect(lml.evaluate(k.theta, grad)).toBeCloseTo(
      -0.5 * (1.3 ** 2 / v) - 0.5 * Math.log(2 * Math.PI * v),
      14,
    );
    const q = 0.5 * (1.3 ** 2 / v ** 2 - 1 / v);
    expect(grad[0]).toBeCloseTo(q * 2, 14);
    expect(grad[1]).toBeCloseTo(q * 0.5, 14);
  });

  it('is −Infinity where K cannot be factorized', () => {
    // Noise-free linear kernel on 15 points has rank 2; with the jitter cap at zero it must fail.
    const k = linear();
    expect(makeLml(k, x, y, { initial: 0, max: 0 }).evaluate(k.theta)).toBe(Number.NEGATIVE_INFINITY);
  });

  const kernels: Record<string, Kernel> = {
    'constant*rbf + white': sum(
      product(constant({ value: 1.5 }), rbf({ lengthScale: 2 })),
      white({ noise: 0.1 }),
    ),
    'matern12 + white': sum(matern({ nu: 0.5, lengthScale: 3 }), white({ noise: 0.2 })),
    'constant*matern32 + white': sum(product(constant(), matern({ nu: 1.5 })), white({ noise: 0.05 })),
    'matern52 * rq + white': sum(product(matern({ nu: 2.5 }), rationalQuadratic({ alpha: 0.5 })), white()),
    'linear + rbf + white': sum(sum(linear({ center: 5 }), rbf({ lengthScale: 1.3 })), white({ noise: 0.3 })),
    'wiener + white': sum(wiener({ variance: 0.4 }), white({ noise: 0.02 })),
    'constant + wiener + rbf + white': sum(sum(constant(), wiener()), sum(rbf(), white({ noise: 0.1 }))),
  };

  for (const [name, kernel] of Object.entries(kernels)) {
    it(`${name}: analytic gradient matches central finite differences`, () => {
      const lml = makeLml(kernel, x, y);
      const theta = kernel.theta.map((t, i) => t + 0.2 * Math.cos(i));
      const grad = new Float64Array(theta.length);
      lml.evaluate(theta, grad);
      const h = 1e-5;
      theta.forEach((_, j) => {
        const up = theta.slice();
        const down = theta.slice();
        up[j]! += h;
        down[j]! -= h;
        const fd = (lml.evaluate(up) - lml.evaluate(down)) / (2 * h);
        expect(Math.abs(grad[j]! - fd), kernel.names[j]).toBeLessThanOrEqual(
          1e-6 * Math.max(1, Math.abs(fd)),
        );
      });
    });
  }
});

describe('spectral likelihood for scale + noise kernels', () => {
  const cases: Record<string, Kernel> = {
    'wiener + white': sum(wiener({ anchor: 0 }), white()),
    'white + wiener (noise first)': sum(white(), wiener({ anchor: 1 })),
    'constant*rbf(fixed) + white': sum(
      product(constant(), rbf({ lengthScale: { value: 2, fixed: true } })),
      white(),
    ),
  };
  for (const [name, kernel] of Object.entries(cases)) {
    it(`${name}: equals the dense likelihood and gradient`, () => {
      const n = x.length;
      const scaleIndex = kernel.form === 'scale+noise' ? 0 : 1;
      const unit = new Float64Array(2);
      unit[1 - scaleIndex] = Number.NEGATIVE_INFINITY;
      const a = new Float64Array(n * n);
      kernel.matrix(unit, x, a);
      const eig = eigenProject(a, n, y)!;
      const dense = makeLml(kernel, x, y);
      for (const theta of [
        [-1, -3],
        [0.5, -8],
        [2, 1],
      ]) {
        const t = Float64Array.from(theta);
        const g1 = new Float64Array(2);
        const g2 = new Float64Array(2);
        expect(spectralLml(eig.lambda, eig.z, scaleIndex, t, g1)).toBeCloseTo(dense.evaluate(t, g2), 8);
        expect(g1[0]).toBeCloseTo(g2[0]!, 7);
        expect(g1[1]).toBeCloseTo(g2[1]!, 7);
      }
    });
  }

  for (const n of [1, 2, 3, 12]) {
    it(`eigenvalues of a ${n}×${n} matrix agree with ml-matrix, and z = Qᵀy is a rotation of y`, () => {
      const r = mulberry32(n);
      const b = Matrix.from1DArray(
        n,
        n,
        Array.from({ length: n * n }, () => r() - 0.5),
      );
      const a = b.transpose().mmul(b);
      const v = Float64Array.from({ length: n }, () => r() - 0.5);
      const eig = eigenProject(Float64Array.from(a.to1DArray()), n, v)!;
      const ref = new EigenvalueDecomposition(a, { assumeSymmetric: true });
      const mine = Array.from(eig.lambda).sort((p, q) => p - q);
      const theirs = [...ref.realEigenvalues].sort((p, q) => p - q);
      mine.forEach((l, i) => expect(l).toBeCloseTo(theirs[i]!, 12));
      // vᵀA v = Σ λᵢzᵢ² and |z| = |v| hold only if z really is v in A's eigenbasis.
      const vav = Matrix.rowVector(Array.from(v))
        .mmul(a)
        .mmul(Matrix.columnVector(Array.from(v)))
        .get(0, 0);
      expect(eig.lambda.reduce((s, l, i) => s + l * eig.z[i]! ** 2, 0)).toBeCloseTo(vav, 12);
      expect(eig.z.reduce((s, z) => s + z * z, 0)).toBeCloseTo(
        v.reduce((s, w) => s + w * w, 0),
        12,
      );
    });
  }
});
