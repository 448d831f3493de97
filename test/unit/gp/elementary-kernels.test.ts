/**
 * Kernels: hand-computed values, a central finite-difference check of every kernel's gradient (leaves, sums,
 * products, fixed parameters), positive semi-definiteness via ml-matrix's eigenvalues, and structure detection.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  constant,
  linear,
  matern,
  product,
  rationalQuadratic,
  rbf,
  sum,
  white,
  wiener,
  type Kernel,
} from '../../../forecast/gp/index.ts';

const x = Float64Array.from([-1.3, 0, 0.4, 1, 2.5, 2.6, 4, 7.25]);
const n = x.length;

function matrixAt(kernel: Kernel, theta: Float64Array, xs = x): Float64Array {
  const out = new Float64Array(xs.length * xs.length);
  kernel.matrix(theta, xs, out);
  return out;
}

const value = (kernel: Kernel, a: number, b: number) => {
  const out = new Float64Array(1);
  kernel.cross(kernel.theta, Float64Array.of(a), Float64Array.of(b), out);
  return out[0]!;
};

/** Every kernel kind, with non-default values, alone and composed. */
const kernels: Record<string, Kernel> = {
  constant: constant({ value: 2.5 }),
  white: white({ noise: 0.3 }),
  rbf: rbf({ lengthScale: 1.7 }),
  matern12: matern({ nu: 0.5, lengthScale: 0.9 }),
  matern32: matern({ nu: 1.5, lengthScale: 1.4 }),
  matern52: matern({ nu: 2.5, lengthScale: 2.2 }),
  rq: rationalQuadratic({ lengthScale: 1.1, alpha: 0.7 }),
  linear: linear({ bias: 0.4, variance: 1.3, center: 1.5 }),
  wiener: wiener({ variance: 0.8, anchor: 0 }),
  'constant*rbf + white': sum(
    product(constant({ value: 3 }), rbf({ lengthScale: 2 })),
    white({ noise: 0.1 }),
  ),
  'wiener + rbf + white': sum(
    sum(wiener({ variance: 0.5 }), rbf({ lengthScale: 3 })),
    white({ noise: 0.05 }),
  ),
  'matern32 * rq': product(matern({ nu: 1.5, lengthScale: 1.2 }), rationalQuadratic({ alpha: 2 })),
  'linear * matern52 + constant': sum(product(linear({ center: -1 }), matern({ nu: 2.5 })), constant()),
  'fixed lengthScale': product(constant({ value: 2 }), rbf({ lengthScale: { value: 1.5, fixed: true } })),
  'product of sums': product(sum(constant(), white({ noise: 0.2 })), sum(rbf(), wiener({ anchor: -2 }))),
};

describe('kernel values', () => {
  it('match hand-computed closed forms', () => {
    expect(value(constant({ value: 2 }), 0, 5)).toBe(2);
    expect(value(rbf({ lengthScale: 2 }), 1, 2)).toBeCloseTo(Math.exp(-1 / 8), 15);
    expect(value(matern({ nu: 0.5, lengthScale: 2 }), 3, 2)).toBeCloseTo(Math.exp(-0.5), 15);
    const r3 = Math.sqrt(3) / 2;
    expect(value(matern({ nu: 1.5, lengthScale: 2 }), 1, 2)).toBeCloseTo((1 + r3) * Math.exp(-r3), 15);
    const r5 = Math.sqrt(5) / 2;
    expect(value(matern({ nu: 2.5, lengthScale: 2 }), 1, 2)).toBeCloseTo(
      (1 + r5 + (r5 * r5) / 3) * Math.exp(-r5),
      15,
    );
    expect(value(rationalQuadratic({ lengthScale: 1, alpha: 2 }), 0, 1)).toBeCloseTo(0.64, 15);
    expect(value(linear({ bias: 0.5, variance: 2, center: 1 }), 3, -1)).toBeCloseTo(-7.5, 14);
    const w = wiener({ variance: 2, anchor: 1 });
    expect(value(w, 3, 5)).toBeCloseTo(4, 14);
    expect(value(w, 5, 3)).toBeCloseTo(4, 14);
    expect(value(w, 1, 1)).toBe(0); // pinned at the anchor
    expect(value(w, 0, 5)).toBe(0); // and before it
  });

  it('put white noise on the diagonal of K(x, x) only, never in a cross-covariance', () => {
    const k = sum(rbf(), white({ noise: 0.3 }));
    const full = matrixAt(k, k.theta);
    const latent = new Float64Array(n * n);
    k.cross(k.theta, x, x, latent);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++)
        expect(full[i * n + j]! - latent[i * n + j]!).toBeCloseTo(i === j ? 0.3 : 0, 14);
    }
  });

  for (const [name, kernel] of Object.entries(kernels)) {
    it(`${name}: symmetric and positive semi-definite`, () => {
      const k = matrixAt(kernel, kernel.theta);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(k[i * n + j]).toBe(k[j * n + i]);
      const eig = new EigenvalueDecomposition(Matrix.from1DArray(n, n, Array.from(k)), {
        assumeSymmetric: true,
      });
      const top = Math.max(...eig.realEigenvalues.map(Math.abs));
      expect(Math.min(...eig.realEigenvalues)).toBeGreaterThanOrEqual(-1e-12 * top);
    });
  }
});

describe('kernel gradients', () => {
  for (const [name, kernel] of Object.entries(kernels)) {
    it(`${name}: ∂K/∂θ matches central finite differences`, () => {
      const p = kernel.theta.length;
      // Move away from the constructor values so that no parameter sits at a special point such as 1.
      const theta = kernel.theta.map((t, i) => t + 0.1 * (i + 1));
      const grads = Array.from({ length: p }, () => new Float64Array(n * n));
      kernel.gradient(theta, x, grads);
      const h = 1e-6;
      for (let j = 0; j < p; j++) {
        const up = theta.slice();
        const down = theta.slice();
        up[j]! += h;
        down[j]! -= h;
        const kUp = matrixAt(kernel, up);
        const kDown = matrixAt(kernel, down);
        for (let e = 0; e < n * n; e++) {
          const fd = (kUp[e]! - kDown[e]!) / (2 * h);
          expect(Math.abs(grads[j]![e]! - fd), `${kernel.names[j]} entry ${e}`).toBeLessThanOrEqual(
            1e-7 * Math.max(1, Math.abs(fd)),
          );
        }
      }
    });
  }
});

describe('kernel bookkeeping', () => {
  it('names free hyperparameters in order, skipping fixed ones, with log-space values and bounds', () => {
    const k = sum(
      product(
        constant({ value: { value: 2, bounds: [0.1, 10] } }),
        rbf({ lengthScale: { value: 3, fixed: true } }),
      ),
      rationalQuadratic({ label: 'slow', lengthScale: 5, alpha: 0.5 }),
    );
    expect(k.names).toEqual(['constant.value', 'slow.lengthScale', 'slow.alpha']);
    expect(Array.from(k.theta)).toEqual([Math.log(2), Math.log(5), Math.log(0.5)]);
    expect(Array.from(k.lower)).toEqual([Math.log(0.1), Math.log(1e-5), Math.log(1e-5)]);
    expect(Array.from(k.upper)).toEqual([Math.log(10), Math.log(1e5), Math.log(1e5)]);
    const moved = k.withTheta([0, 1, 2]);
    expect(Array.from(moved.theta)).toEqual([0, 1, 2]);
    expect(Array.from(k.theta)).toEqual([Math.log(2), Math.log(5), Math.log(0.5)]); // unchanged
    expect(() => k.withTheta([0, 1])).toThrow(/expected 3 hyperparameters/);
  });

  it('recognizes the scale-plus-noise form the spectral fit exploits, and nothing else', () => {
    expect(sum(wiener(), white()).form).toBe('scale+noise');
    expect(sum(white(), wiener()).form).toBe('noise+scale');
    expect(sum(product(constant(), rbf({ lengthScale: { value: 2, fixed: true } })), white()).form).toBe(
      'scale+noise',
    );
    expect(sum(rbf(), white()).form).toBe('general');
    expect(sum(wiener(), white({ noise: { value: 1, fixed: true } })).form).toBe('general');
    expect(sum(sum(constant(), wiener()), white()).form).toBe('general');
    expect(product(white(), constant({ value: { value: 2, fixed: true } })).form).toBe('general');
    expect(constant({ value: { value: 2, fixed: true } }).form).toBe('fixed');
  });

  it('rejects invalid hyperparameters, naming them', () => {
    expect(() => rbf({ lengthScale: -1 })).toThrow(/rbf.lengthScale must be a positive finite number/);
    expect(() => white({ noise: { value: 1, bounds: [2, 1] } })).toThrow(/white.noise bounds/);
    expect(() => wiener({ anchor: Number.NaN })).toThrow(/wiener.anchor must be a finite number/);
    expect(() => matern({ nu: 1 as 0.5 })).toThrow(/nu must be 0.5, 1.5 or 2.5/);
  });
});
