/**
 * Target normalization: the GP sees (y − offset)/scale, and predictions are mapped back with the same pair.
 * Hyperparameter bounds and the noise floor are then relative to the data's own scale, so one kernel
 * specification suits BTC in USD and in JPY alike.
 */

/**
 * - `none`: targets as given (offset 0, scale 1).
 * - `standardize`: sklearn's `normalize_y` — subtract the mean, divide by the population standard deviation.
 * - `anchor`: subtract the observation at the smallest input (the window start) and divide by the population
 *   standard deviation; the centring a Wiener kernel anchored at that input needs (see `wiener`).
 */
export type Normalize = 'none' | 'standardize' | 'anchor';

/** The affine map between data units and the units the GP is fitted in. */
export interface Normalization {
  readonly offset: number;
  readonly scale: number;
}

/** The offset and scale for `mode`; a constant series gets scale 1, as in sklearn, instead of dividing by zero. */
export function normalization(x: Float64Array, y: Float64Array, mode: Normalize): Normalization {
  const n = y.length;
  if (mode === 'none' || n === 0) return { offset: 0, scale: 1 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (y[i]! - mean) ** 2;
  const std = Math.sqrt(ss / n);
  const scale = std < 10 * Number.EPSILON ? 1 : std;
  if (mode === 'standardize') return { offset: mean, scale };
  let first = 0;
  for (let i = 1; i < n; i++) if (x[i]! < x[first]!) first = i;
  return { offset: y[first]!, scale };
}

/** (y − offset)/scale as a new array. */
export function applyNormalization(y: Float64Array, { offset, scale }: Normalization): Float64Array {
  return y.map((v) => (v - offset) / scale);
}
