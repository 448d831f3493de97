/** The elementary kernels as scikit-learn defines them (unit-variance stationary kernels), d = |x − x′|. */
import { resolveParam, type Kernel, type ParamDef, type ParamOption } from './kernel-algebra.ts';
import { makeLeaf } from './leaf.ts';

/** Common to every kernel: a label that prefixes the hyperparameter names (defaults to the kernel's kind). */
type LabelOption = { readonly label?: string };

/** k = its one hyperparameter, between all points or (`noise`) on the diagonal of K(x, x) only. */
function level(label: string, param: ParamDef, noise: boolean): Kernel {
  return makeLeaf(label, [param], {
    noise,
    scale: true,
    k: (p, _a, _b, g) => {
      if (g) g[0] = p[0]!;
      return p[0]!;
    },
  });
}

/** k = c: a level shared by all points (sklearn's ConstantKernel, `constant_value`). */
export function constant(options: { value?: ParamOption } & LabelOption = {}): Kernel {
  const label = options.label ?? 'constant';
  return level(label, resolveParam(label, 'value', options.value), false);
}

/** Observation noise: σₙ² on the diagonal of K(x, x), zero between distinct observations (sklearn's WhiteKernel). */
export function white(options: { noise?: ParamOption } & LabelOption = {}): Kernel {
  const label = options.label ?? 'white';
  return level(label, resolveParam(label, 'noise', options.noise), true);
}

/** Squared exponential: k = exp(−d²/(2ℓ²)). */
export function rbf(options: { lengthScale?: ParamOption } & LabelOption = {}): Kernel {
  const label = options.label ?? 'rbf';
  return makeLeaf(label, [resolveParam(label, 'lengthScale', options.lengthScale)], {
    k: (p, a, b, g) => {
      const r2 = ((a - b) / p[0]!) ** 2;
      const v = Math.exp(-0.5 * r2);
      if (g) g[0] = v * r2;
      return v;
    },
  });
}

/** Smoothness of a Matérn kernel: 1/2 (Ornstein–Uhlenbeck, rough), 3/2, 5/2 (smoother). */
export type MaternNu = 0.5 | 1.5 | 2.5;

/** Matérn, r = √(2ν)·d/ℓ: e^(−r), (1 + r)e^(−r), (1 + r + r²/3)e^(−r) for ν = 1/2, 3/2, 5/2; ∂r/∂log ℓ = −r. */
export function matern(options: { nu: MaternNu; lengthScale?: ParamOption } & LabelOption): Kernel {
  const { nu } = options;
  if (nu !== 0.5 && nu !== 1.5 && nu !== 2.5) {
    throw new RangeError(`matern: nu must be 0.5, 1.5 or 2.5, got ${String(nu)}`);
  }
  const label = options.label ?? `matern${nu * 2}2`;
  const c = Math.sqrt(2 * nu);
  return makeLeaf(label, [resolveParam(label, 'lengthScale', options.lengthScale)], {
    k: (p, a, b, g) => {
      const r = (c * Math.abs(a - b)) / p[0]!; // c = 1 for ν = 1/2, exactly
      const e = Math.exp(-r);
      if (nu === 0.5) {
        if (g) g[0] = e * r;
        return e;
      }
      if (nu === 1.5) {
        if (g) g[0] = r * r * e;
        return (1 + r) * e;
      }
      if (g) g[0] = (r * r * (1 + r) * e) / 3;
      return (1 + r + (r * r) / 3) * e;
    },
  });
}

/** Rational quadratic: k = (1 + d²/(2αℓ²))^(−α), a scale mixture of RBFs; hyperparameters lengthScale, alpha. */
export function rationalQuadratic(
  options: { lengthScale?: ParamOption; alpha?: ParamOption } & LabelOption = {},
): Kernel {
  const label = options.label ?? 'rq';
  const params = [
    resolveParam(label, 'lengthScale', options.lengthScale),
    resolveParam(label, 'alpha', options.alpha),
  ];
  return makeLeaf(label, params, {
    k: (p, a, b, g) => {
      const l = p[0]!;
      const alpha = p[1]!;
      const h = (a - b) ** 2 / (2 * l * l); // d²/(2ℓ²)
      const base = 1 + h / alpha;
      const v = base ** -alpha;
      if (g) {
        g[0] = (2 * v * h) / base;
        g[1] = v * (h / base - alpha * Math.log(base));
      }
      return v;
    },
  });
}

/** Linear trend: k = σ_b² + σ_v²·(x − c)(x′ − c), c fixed (mid-window it decorrelates level and slope). */
export function linear(
  options: { bias?: ParamOption; variance?: ParamOption; center?: number } & LabelOption = {},
): Kernel {
  const label = options.label ?? 'linear';
  const c = options.center ?? 0;
  const params = [
    resolveParam(label, 'bias', options.bias),
    resolveParam(label, 'variance', options.variance),
  ];
  return makeLeaf(label, params, {
    k: (p, a, b, g) => {
      const slope = p[1]! * (a - c) * (b - c);
      if (g) {
        g[0] = p[0]!;
        g[1] = slope;
      }
      return p[0]! + slope;
    },
  });
}

/**
 * Wiener process pinned to 0 at `anchor` t₀: k = σ²·max(0, min(x, x′) − t₀). Fit it to targets centred on the
 * value at t₀ (`normalize: 'anchor'`); beyond the data the mean stays flat and the variance grows by σ² per unit.
 */
export function wiener(options: { variance?: ParamOption; anchor?: number } & LabelOption = {}): Kernel {
  const label = options.label ?? 'wiener';
  const t0 = options.anchor ?? 0;
  if (!Number.isFinite(t0)) throw new RangeError(`${label}.anchor must be a finite number, got ${t0}`);
  return makeLeaf(label, [resolveParam(label, 'variance', options.variance)], {
    scale: true,
    k: (p, a, b, g) => {
      const v = p[0]! * Math.max(0, Math.min(a, b) - t0);
      if (g) g[0] = v;
      return v;
    },
  });
}
