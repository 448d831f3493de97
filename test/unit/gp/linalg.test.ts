/** Dense linear algebra against ml-matrix's independent implementations, and jitter escalation. */
import { CholeskyDecomposition, Matrix, determinant, inverse, solve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  choleskySolveInPlace,
  choleskyWithJitter,
  inverseFromCholeskyLower,
  logDetFromCholesky,
} from '../../../forecast/gp/linalg.ts';
import { mulberry32 } from '../../../forecast/gp/index.ts';

/** A random symmetric positive-definite n×n matrix BᵀB + I, row-major. */
function randomSpd(n: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const b = Matrix.from1DArray(
    n,
    n,
    Array.from({ length: n * n }, () => random() - 0.5),
  );
  return Float64Array.from(b.transpose().mmul(b).add(Matrix.eye(n)).to1DArray());
}

const toMatrix = (a: Float64Array, n: number) => Matrix.from1DArray(n, n, Array.from(a));

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-10) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(
      tol * Math.max(1, Math.abs(expected[i]!)),
    );
  }
}

describe('Cholesky and friends', () => {
  for (const n of [1, 2, 7, 30]) {
    it(`agree with ml-matrix on a random ${n}×${n} SPD matrix`, () => {
      const a = randomSpd(n, n);
      const { l, jitter } = cholesky(a, n);
      expect(jitter).toBe(0);
      const ref = new CholeskyDecomposition(toMatrix(a, n));
      expectAllClose(l, ref.lowerTriangularMatrix.to1DArray());

      const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      const z = b.slice();
      choleskySolveInPlace(l, n, z);
      expectAllClose(z, solve(toMatrix(a, n), Matrix.columnVector(Array.from(b))).to1DArray());

      const inv = new Float64Array(n * n);
      inverseFromCholeskyLower(l, n, inv, new Float64Array(n * n));
      const refInv = inverse(toMatrix(a, n)).to1DArray();
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) expectAllClose([inv[i * n + j]!], [refInv[i * n + j]!]);
      }
      expect(logDetFromCholesky(l, n)).toBeCloseTo(Math.log(determinant(toMatrix(a, n))), 9);
    });
  }

  it('needs no jitter when the plain factorization works', () => {
    expect(choleskyWithJitter(randomSpd(5, 1), 5, new Float64Array(25))).toBe(0);
  });

  it('adds the initial jitter (1e-10 × mean diagonal) to a singular positive semi-definite matrix', () => {
    // All-ones: rank one, so the second pivot is exactly zero.
    const ones = new Float64Array(9).fill(4);
    const l = new Float64Array(9);
    expect(choleskyWithJitter(ones, 3, l)).toBe(4e-10);
    // L·Lᵀ reproduces the matrix plus the jitter on the diagonal.
    const llt = toMatrix(l, 3).mmul(toMatrix(l, 3).transpose()).to1DArray();
    expectAllClose(llt, [4 + 4e-10, 4, 4, 4, 4 + 4e-10, 4, 4, 4, 4 + 4e-10], 1e-12);
  });

  it('escalates ×10 until the factorization works', () => {
    // Smallest eigenvalue about −5e-9: 1e-10 and 1e-9 are not enough, 1e-8 (relative) is.
    const a = Float64Array.from([1, 1, 1, 1 - 1e-8]);
    const jitter = choleskyWithJitter(a, 2, new Float64Array(4));
    expect(jitter / (1 - 5e-9)).toBeCloseTo(1e-8, 20);
    expect(Number.isNaN(choleskyWithJitter(a, 2, new Float64Array(4), { max: 1e-9 }))).toBe(true);
  });

  it('fails with a clear error on an indefinite matrix', () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(
      /not positive definite, even with jitter up to 1e-6 × its mean diagonal/,
    );
    expect(() => cholesky(new Float64Array(3), 2)).toThrow(/expected a 2×2 matrix/);
  });

  it('uses a unit scale for a zero matrix, which has no diagonal to be relative to', () => {
    expect(choleskyWithJitter(new Float64Array(4), 2, new Float64Array(4))).toBe(1e-10);
  });
});
