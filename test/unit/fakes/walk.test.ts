import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOCKCHAIN_CODES,
  COINBASE_CODES,
  COINDESK_CODES,
  COINGECKO_CODES,
  CURRENCIES,
} from '../../../fakes/currencies.ts';
import { formatPrice, priceAt } from '../../../fakes/walk.ts';

const T0 = Date.UTC(2025, 0, 1);
const MIN = 60_000;
const codes = Object.keys(CURRENCIES);

function logReturns(seed: number, currency: string, from: number, minutes: number): number[] {
  const out: number[] = [];
  let prev = priceAt(seed, currency, from);
  for (let i = 1; i <= minutes; i++) {
    const p = priceAt(seed, currency, from + i * MIN);
    out.push(Math.log(p / prev));
    prev = p;
  }
  return out;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));

describe('the fake price walk', () => {
  it('is a pure function of (seed, currency, minute), whatever the call order', () => {
    const point = fc.tuple(
      fc.integer({ min: 0, max: 5 }),
      fc.constantFrom(...codes),
      fc.integer({ min: -50_000_000, max: 50_000_000 }),
    );
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 30 }), (points) => {
        const forward = points.map(([s, c, m]) => priceAt(s, c, T0 + m * MIN));
        const backward = [...points].reverse().map(([s, c, m]) => priceAt(s, c, T0 + m * MIN));
        expect(backward.reverse()).toEqual(forward);
      }),
      { numRuns: 200 },
    );
  });

  it('quotes one price per minute, and different seeds walk differently', () => {
    expect(priceAt(1, 'USD', T0 + 59_999)).toBe(priceAt(1, 'USD', T0));
    expect(priceAt(1, 'USD', T0 + MIN)).not.toBe(priceAt(1, 'USD', T0));
    expect(priceAt(2, 'USD', T0)).not.toBe(priceAt(1, 'USD', T0));
    expect(priceAt(1, 'BTC', T0)).toBe(1);
    expect(() => priceAt(1, 'XYZ', T0)).toThrow(RangeError);
  });

  it('keeps bitcoin around 60,000 dollars over years', () => {
    for (let h = 0; h < 24 * 365 * 3; h += 7) {
      const p = priceAt(1, 'USD', T0 + h * 3_600_000);
      expect(p).toBeGreaterThan(25_000);
      expect(p).toBeLessThan(150_000);
    }
  });

  it('moves like a random walk: minute returns of ~0.08 %, uncorrelated, never a jump the poller would reject', () => {
    const r = logReturns(3, 'USD', T0, 20_000);
    expect(Math.abs(mean(r))).toBeLessThan(0.0001);
    expect(std(r)).toBeGreaterThan(0.0005);
    expect(std(r)).toBeLessThan(0.0011);
    const lag1 = mean(r.slice(1).map((x, i) => x * (r[i] ?? 0))) / std(r) ** 2;
    expect(Math.abs(lag1)).toBeLessThan(0.05);
    expect(Math.max(...r.map(Math.abs))).toBeLessThan(Math.log(1.05));
  });

  it('prices other fiat as the dollar price times a slowly drifting FX rate', () => {
    const usd = logReturns(4, 'USD', T0, 5_000);
    const eur = logReturns(4, 'EUR', T0, 5_000);
    const corr = mean(usd.map((x, i) => x * (eur[i] ?? 0))) / (std(usd) * std(eur));
    expect(corr).toBeGreaterThan(0.95);
    for (let d = 0; d < 365; d += 5) {
      const t = T0 + d * 86_400_000;
      const fx = priceAt(4, 'EUR', t) / priceAt(4, 'USD', t);
      expect(fx).toBeGreaterThan(0.92 * 0.85);
      expect(fx).toBeLessThan(0.92 * 1.15);
    }
  });

  it('prints every price back exactly as a decimal string', () => {
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.integer({ min: 0, max: 10_000_000 }), (c, m) => {
        const p = priceAt(7, c, T0 + m * MIN);
        expect(Number(formatPrice(p))).toBe(p);
        expect(p).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('knows every currency each format lists', () => {
    expect(BLOCKCHAIN_CODES.length).toBeGreaterThanOrEqual(25);
    expect(COINBASE_CODES.length).toBeGreaterThanOrEqual(150);
    const all = [...BLOCKCHAIN_CODES, ...COINBASE_CODES, ...COINGECKO_CODES.map((c) => c.toUpperCase())];
    for (const c of [...all, ...COINDESK_CODES.map((d) => d.code)])
      expect(() => priceAt(1, c, T0)).not.toThrow();
  });
});
