/** The models a backtest compares; a new one reaches production only by beating persistence in a long one. */
import { constant, fitGp, matern, product, rbf, sum, white, wiener, type Kernel } from './gp/index.ts';
import { gpWiener, incrementSd, persistence, projectGp, type Model, type SeriesWindow } from './models.ts';
import { gpIcm } from './multi.ts';

/** The candidates' optimizer settings: one seeded restart. */
const FIT = { optimizer: { restarts: 1 }, seed: 1 } as const;

/** A model that fits `kernel(w)` to the window's rates and projects the means and marginal sds. */
function gpModel(
  name: string,
  normalize: 'standardize' | 'anchor',
  kernel: (w: SeriesWindow) => Kernel,
): Model {
  return {
    name,
    project: (w, originX, horizons) =>
      projectGp(fitGp({ x: w.x, y: w.y, kernel: kernel(w), normalize, ...FIT }), originX, horizons),
  };
}

/** Constant × RBF + white on raw prices, standardized: mean-reverting to the window's level (sklearn's default GP). */
export const gpRbf = gpModel('gp-rbf', 'standardize', () =>
  sum(
    product(
      constant({ value: { value: 1, bounds: [1e-3, 1e3] } }),
      rbf({ lengthScale: { value: 10, bounds: [0.5, 1e3] } }),
    ),
    white({ noise: { value: 1e-2, bounds: [1e-8, 10] } }),
  ),
);

/** Wiener + constant × RBF + white, anchored: a random walk plus a smooth local wiggle. */
export const gpWienerRbf = gpModel('gp-wiener-rbf', 'anchor', (w) =>
  sum(
    sum(
      wiener({ anchor: w.x[0]!, variance: { value: 1, bounds: [1e-6, 1e6] } }),
      product(
        constant({ value: { value: 0.1, bounds: [1e-6, 1e3] } }),
        rbf({ lengthScale: { value: 5, bounds: [0.5, 1e3] } }),
      ),
    ),
    white({ noise: { value: 1e-2, bounds: [1e-10, 1e3] } }),
  ),
);

/**
 * Constant × Matérn-1/2 + white on one-minute increments (a gap breaks the chain), scaled by their sd but not
 * centred. The level at originX + h is the last value plus the predicted increments, with their summed covariance.
 */
export const gpMatern12: Model = {
  name: 'gp-matern12',
  project(w, originX, horizons) {
    const xs: number[] = [];
    const ds: number[] = [];
    for (let i = 1; i < w.x.length; i++) {
      if (Math.abs(w.x[i]! - w.x[i - 1]! - 1) > 1e-9) continue;
      xs.push(w.x[i]!);
      ds.push(w.y[i]! - w.y[i - 1]!);
    }
    const scale = incrementSd(w) || 1;
    if (xs.length < 5) return persistence.project(w, originX, horizons);
    const kernel = sum(
      product(
        constant({ value: { value: 0.1, bounds: [1e-4, 10] } }),
        matern({ nu: 0.5, lengthScale: { value: 2, bounds: [0.1, 100] } }),
      ),
      white({ noise: { value: 1, bounds: [1e-4, 10] } }),
    );
    const model = fitGp({ x: xs, y: ds.map((d) => d / scale), kernel, normalize: 'none', ...FIT });
    const lastX = w.x[w.x.length - 1]!;
    const steps = Math.round(originX + Math.max(...horizons) - lastX);
    const future = Array.from({ length: steps }, (_, i) => lastX + i + 1);
    const p = model.predict(future);
    const last = w.y[w.y.length - 1]!;
    return horizons.map((h) => {
      const k = Math.round(originX + h - lastX);
      let mean = 0;
      let v = 0;
      for (let i = 0; i < k; i++) {
        mean += p.mean[i]!;
        for (let j = 0; j < k; j++) v += p.cov[i * steps + j]!;
      }
      return { horizon: h, mean: last + mean * scale, sd: Math.sqrt(Math.max(0, v)) * scale };
    });
  },
};

/** Every candidate, baseline first. */
export const CANDIDATES: readonly Model[] = [persistence, gpWiener, gpRbf, gpMatern12, gpWienerRbf, gpIcm];

/** Candidates by name, for `--models a,b`; throws naming the known ones. */
export function pickModels(names: readonly string[]): Model[] {
  return names.map((n) => {
    const m = CANDIDATES.find((c) => c.name === n);
    if (!m) throw new Error(`unknown model "${n}"; known: ${CANDIDATES.map((c) => c.name).join(', ')}`);
    return m;
  });
}
