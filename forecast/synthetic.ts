/** Seeded series with a known lead–lag structure for backtesting the multi-output model, pure. */
import { mulberry32 } from './gp/index.ts';
import type { TimeSeries } from './backtest.ts';

const MIN = 60_000;

/** The sd of one-minute moves (≈ 0.05% at 20 000). */
const STEP = 10;

/** Prices from `start` (default 2030-01-01): leader, follower (lagged, noisy), leader-eur (× slow FX), independent. */
export function makeLeadLag(options: {
  minutes: number;
  seed?: number;
  start?: number;
  /** The follower's lag, a multiple of 0.5 minutes. */
  lagMinutes?: number;
  /** The follower's observation noise sd. */
  noise?: number;
}): TimeSeries[] {
  const { minutes, seed = 7, start = Date.UTC(2030, 0, 1), lagMinutes = 1.5, noise = 2 } = options;
  const random = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lagHalves = Math.round(lagMinutes * 2);
  // The leader on a 30-second grid, so half-minute lags are exact; extra history before the first minute.
  const fine = new Float64Array(2 * minutes + lagHalves + 1);
  fine[0] = 20_000;
  for (let i = 1; i < fine.length; i++) fine[i] = fine[i - 1]! + (STEP / Math.SQRT2) * gauss();
  const t = Float64Array.from({ length: minutes }, (_, i) => start + i * MIN);
  const at = (i: number, lag = 0) => fine[lagHalves + 2 * i - lag]!;
  let fx = 0.92;
  let other = 30_000;
  const leader = new Float64Array(minutes);
  const follower = new Float64Array(minutes);
  const eur = new Float64Array(minutes);
  const independent = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) {
    leader[i] = at(i) + 0.2 * gauss();
    follower[i] = at(i, lagHalves) + noise * gauss();
    fx *= 1 + 2e-5 * gauss();
    eur[i] = at(i) * fx;
    independent[i] = other += STEP * gauss();
  }
  return [
    { name: 'leader', t, y: leader },
    { name: `follower-${lagMinutes}m`, t, y: follower },
    { name: 'leader-eur', t, y: eur },
    { name: 'independent', t, y: independent },
  ];
}

/**
 * "Second sources" derived from one-minute closes, as real sources behave: the series itself, a 30–60 s cache
 * (linear between closes, so it understates moves inside a minute) and a 15-minute-delayed copy.
 */
export function deriveSources(series: TimeSeries, seed = 11): TimeSeries[] {
  const random = mulberry32(seed);
  const { t, y } = series;
  const cached = new Float64Array(y.length);
  const delayedT: number[] = [];
  const delayedY: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const age = 0.5 + 0.5 * random();
    const prevIsMinuteBefore = i > 0 && t[i]! - t[i - 1]! === MIN;
    cached[i] = prevIsMinuteBefore ? y[i]! - age * (y[i]! - y[i - 1]!) : y[i]!;
    const j = i - 15;
    if (j >= 0 && t[i]! - t[j]! === 15 * MIN) {
      delayedT.push(t[i]!);
      delayedY.push(y[j]!);
    }
  }
  return [
    { name: `${series.name} (realtime)`, t, y },
    { name: `${series.name} (derived: cache 30-60s)`, t, y: cached },
    {
      name: `${series.name} (derived: delayed 15m)`,
      t: Float64Array.from(delayedT),
      y: Float64Array.from(delayedY),
    },
  ];
}
