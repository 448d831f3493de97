/**
 * Deterministic bitcoin prices for the fake APIs: `priceAt(seed, currency, minute)` is a pure function, so a
 * test can compute independently what any response must have contained, in any order, in any process.
 *
 * The dollar price is a geometric random walk built from Brownian bridges (Lévy's midpoint construction): the
 * value at any minute is found by descending ~20 midpoints of a dyadic tree, each displaced by a hashed
 * Gaussian. That gives true random-walk increments minute to minute, O(log n) work per call with no state or
 * cache whose filling order could matter, and bridges pinned to zero at block edges keep the price near its
 * base for decades instead of wandering off. Other currencies are the dollar price times a per-currency FX
 * rate that drifts slowly the same way, so cross-currency series move together as real ones do.
 */
import { CURRENCIES, type Drift } from './currencies.ts';

const BASE_USD = 60_000;
const MINUTE_MS = 60_000;

/** Bridge scales (log2 of minutes: ~3 days, ~3 months, ~2 years) and per-√minute volatility of the log price. */
const USD_SCALES: readonly [levels: number, sigma: number][] = [
  [12, 0.0006],
  [17, 0.0005],
  [20, 0.0002],
];
const FX_SCALES: readonly number[] = [12, 17];
const FX_SIGMA: Record<Drift, number> = { none: 0, pegged: 0.000005, fiat: 0.00008, crypto: 0.0006 };

/** The price of one bitcoin in `currency` during the minute containing `minuteEpochMs`, as quoted. */
export function priceAt(seed: number, currency: string, minuteEpochMs: number): number {
  if (currency === 'BTC') return 1;
  const spec = CURRENCIES[currency];
  if (spec === undefined) throw new RangeError(`the fake walk does not know currency ${currency}`);
  const n = Math.floor(minuteEpochMs / MINUTE_MS);
  let fx = Math.log(spec.perUsd);
  const sigma = FX_SIGMA[spec.drift];
  if (sigma > 0) for (const levels of FX_SCALES) fx += sigma * bridge(seed, currency, levels, n);
  return roundPrice(Math.exp(usdLog(seed, n) + fx));
}

/** Decimals a quote of `price` carries: cents for large prices, 8 significant digits for small ones. */
export function decimalsFor(price: number): number {
  if (price >= 1000) return 2;
  return Math.min(12, Math.max(2, 7 - Math.floor(Math.log10(price))));
}

/** Round to the quoted precision; the result prints back exactly with `formatPrice`. */
export function roundPrice(price: number): number {
  const scale = 10 ** decimalsFor(price);
  return Math.round(price * scale) / scale;
}

/** A decimal string (Coinbase style) that parses back to exactly `price` when `price` came from `priceAt`. */
export function formatPrice(price: number): string {
  return price.toFixed(decimalsFor(price));
}

/** A uniform number in [0, 1) fixed by (seed, tag, n): the fake's other deterministic choices. */
export function unitHash(seed: number, tag: string, n: number): number {
  return fmix(mixNumber(mixNumber(hashString(tag), seed), n)) / 4294967296;
}

// The dollar walk is shared by every currency of a response; memoizing it is safe because it is pure.
const usdMemo = new Map<string, number>();

function usdLog(seed: number, n: number): number {
  const key = `${seed}:${n}`;
  const hit = usdMemo.get(key);
  if (hit !== undefined) return hit;
  let log = Math.log(BASE_USD);
  for (const [levels, sigma] of USD_SCALES) log += sigma * bridge(seed, 'USD', levels, n);
  if (usdMemo.size >= 4096) usdMemo.clear();
  usdMemo.set(key, log);
  return log;
}

/**
 * Standard Brownian bridge over blocks of 2^levels minutes, pinned to 0 at each block edge, at minute `n`.
 * Each midpoint m of an interval [a, b] sits at the mean of its ends plus N(0, (b-a)/4), keyed by its position.
 */
function bridge(seed: number, currency: string, levels: number, n: number): number {
  const size = 2 ** levels;
  const block = Math.floor(n / size);
  const off = n - block * size;
  const key = mixNumber(mixNumber(mix(mix(0x2545f491, hashString(currency)), levels), seed), block);
  let [a, b, wa, wb] = [0, size, 0, 0];
  for (;;) {
    if (off === a) return wa;
    const m = (a + b) / 2;
    const wm = (wa + wb) / 2 + Math.sqrt((b - a) / 4) * gaussian(key, m);
    if (off === m) return wm;
    if (off < m) [b, wb] = [m, wm];
    else [a, wa] = [m, wm];
  }
}

/** A standard normal deviate from a hash (Box-Muller over two 32-bit uniforms). */
function gaussian(key: number, index: number): number {
  const h = mixNumber(key, index);
  const u1 = (fmix(mix(h, 1)) + 0.5) / 4294967296;
  const u2 = (fmix(mix(h, 2)) + 0.5) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x9e3779b1);
  return (h ^ (h >>> 15)) >>> 0;
}

/** Mixes any integer up to 2^53 in magnitude (minute indices and seeds exceed 32 bits). */
function mixNumber(h: number, x: number): number {
  const i = Math.trunc(x);
  return mix(mix(h, i >>> 0), Math.floor(i / 4294967296) >>> 0);
}

/** Murmur3's finalizer: spreads every input bit over the output. */
function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a: a stable per-currency stream so each currency walks on its own. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
