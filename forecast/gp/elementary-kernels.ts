/**
 * The elementary kernels. Definitions follow scikit-learn's so that its results serve as references: stationary
 * kernels have unit variance (scale them with `product(constant(), …)`), variances are variances (not standard
 * deviations), and d = |x − x′|.
 */
import { resolveParam, type Kernel, type ParamOption } from './kernel-algebra.ts';
import { makeLeaf } from './leaf.ts';

/** Common to every kernel: a label that prefixes the hyperparameter names (defaults to the kernel's kind). */
export interface LabelOption {
  readonly label?: string;
}

/** k = c: a level shared by all points (sklearn's ConstantKernel, `constant_value`). */
export function constant(options: { value?: ParamOption } & LabelOption = {}): Kernel {
  const label = options.label ?? 'constant';
  return makeLeaf(label, [resolveParam(label, 'value', options.value)], {
    scale: true,
    k: (p, _a, _b, g) => {
      if (g) g[0] = p[0]!;
      return p[0]!;
    },
  });
}

/** Observation noise: σₙ² on the diagonal of K(x, x), zero between distinct observations (sklearn's WhiteKernel). */
export function white(options: { noise?: ParamOption } & LabelOption = {}): Kernel {
  const label = options.label ?? 'white';
  return makeLeaf(label, [resolveParam(label, 'noise', options.noise)], {
    noise: true,
    scale: true,
    k: (p, _a, _b, g) => {
      if (g) g[0] = p[0]!;
      return p[0]!;
    },
  });
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

/**
 * Matérn kernel with r = √(2ν)·d/ℓ: ν = 1/2 gives e^(−r), 3/2 gives (1 + r)e^(−r), 5/2 gives (1 + r + r²/3)e^(−r).
 * The derivatives use ∂r/∂log ℓ = −r.
 */
export function matern(options: { nu: MaternNu; lengthScale?: ParamOption } & LabelOption): Kernel {
  const { nu } = options;
  const label = options.label ?? `matern${nu * 2}2`;
  const params = [resolveParam(label, 'lengthScale', options.lengthScale)];
  const c = Math.sqrt(2 * nu);
  if (nu === 0.5) {
    return makeLeaf(label, params, {
      k: (p, a, b, g) => {
        const r = Math.abs(a - b) / p[0]!;
        const v = Math.exp(-r);
        if (g) g[0] = v * r;
        return v;
      },
    });
  }
  if (nu === 1.5) {
    return makeLeaf(label, params, {
      k: (p, a, b, g) => {
        const r = (c * Math.abs(a - b)) / p[0]!;
        const e = Math.exp(-r);
        if (g) g[0] = r * r * e;
        return (1 + r) * e;
      },
    });
  }
  if (nu === 2.5) {
    return makeLeaf(label, params, {
      k: (p, a, b, g) => {
        const r = (c * Math.abs(a - b)) / p[0]!;
        const e = Math.exp(-r);
        if (g) g[0] = (r * r * (1 + r) * e) / 3;
        return (1 + r + (r * r) / 3) * e;
      },
    });
  }
  throw new RangeError(`matern: nu must be 0.5, 1.5 or 2.5, got ${String(nu)}`);
}

/**
 * Rational quadratic: k = (1 + d²/(2αℓ²))^(−α), a scale mixture of RBFs. Hyperparameters in the order
 * lengthScale, alpha (sklearn orders them alphabetically, alpha first).
 */
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

/**
 * Linear trend: k = σ_b² + σ_v²·(x − c)(x′ − c). The centre c is a fixed number, not a hyperparameter: it can be
 * negative, which log space cannot hold, and for a trend it is best put mid-window where it decorrelates the
 * level from the slope.
 */
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
 * Wiener process (Brownian motion) started at `anchor` t₀: k = σ²·min(x − t₀, x′ − t₀), and 0 when either input
 * is at or before t₀ — the process is pinned to 0 there, with zero variance.
 *
 * The anchor is the window start. Because the prior says f(t₀) = 0 exactly, targets must be centred on the value
 * observed at t₀ (`normalize: 'anchor'` in `fitGp`), so the predictive mean at the anchor equals the data and the
 * first observation is not mistaken for a jump away from some other level. Beyond the last observation the
 * posterior mean stays flat (a martingale) and the variance grows by σ² per unit time: persistence with a √h
 * interval. Inputs before t₀ are treated as at t₀ rather than rejected, which keeps the kernel positive
 * semi-definite for any inputs.
 *
 * With white noise s and an observation at t₀, that observation is 0 by construction and has no latent
 * variance, so its only likelihood term is log N(0 | 0, s): it rewards smaller noise by ½ per unit of log s and
 * sends s to its lower bound, where the posterior runs through the data and forecasts the last value, as
 * persistence does. Leaving the anchor out of the likelihood instead smooths the last value, which forecasts
 * slightly worse on real one-minute data.
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
