/** Offset: none, the mean (sklearn's `normalize_y`) or the first observation (for `wiener`); scale: the sd. */
export type Normalize = 'none' | 'standardize' | 'anchor';

/** The GP sees (y − offset)/scale, so one kernel specification suits BTC in USD and in JPY alike. */
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
