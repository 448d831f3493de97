import { describe, expect, it } from 'vitest';
import { gpWiener, incrementSd, persistence, unusable, Z90 } from '../../../forecast/models.ts';
import { groupSeries } from '../../../forecast/series.ts';
import { forecastAll, summarizeSkips } from '../../../forecast/forecaster.ts';
import { withSkill } from '../../../forecast/scoring.ts';

const T0 = Date.UTC(2030, 0, 1, 12, 0);
const minute = (i: number) => new Date(T0 + i * 60_000);

/** A deterministic random walk: same seed, same series. */
function walk(n: number, seed = 1, start = 50_000, step = 20): number[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const out = [start];
  for (let i = 1; i < n; i++) out.push(out[i - 1]! + step * rnd());
  return out;
}

describe('series windows', () => {
  it('keeps gaps as gaps on a real-time x axis', () => {
    const rows = [0, 1, 4, 5].map((i) => ({ ts: minute(i), source: 's', currency: 'USD', rate: 100 + i }));
    const [s] = groupSeries(rows, T0 - 60_000);
    expect([...s!.window.x]).toEqual([1, 2, 5, 6]);
    expect(s!.lastTs).toBe(minute(5).getTime());
  });

  it('scales increments over a gap by the square root of its length', () => {
    // Two one-minute moves of 1 and one three-minute move of 3·√3/√3... i.e. z = 3/√3 = √3.
    const sd = incrementSd({
      x: Float64Array.from([0, 1, 2, 5]),
      y: Float64Array.from([0, 1, 2, 2 + Math.sqrt(3)]),
    });
    expect(sd).toBeCloseTo(1, 12);
  });

  it('says why a window is unusable', () => {
    expect(unusable({ x: Float64Array.from([0, 1]), y: Float64Array.from([1, 2]) }, 10)).toMatch(
      /too few points/,
    );
    const flat = Float64Array.from({ length: 20 }, () => 5);
    expect(unusable({ x: Float64Array.from(flat, (_, i) => i), y: flat }, 10)).toMatch(/flat/);
  });
});

describe('models', () => {
  const y = Float64Array.from(walk(60));
  const x = Float64Array.from(y, (_, i) => i);

  it('persistence projects the last value with a sqrt(h) random-walk interval', () => {
    const sd = incrementSd({ x, y });
    const p = persistence.project({ x, y }, 59, [1, 5, 10]);
    expect(p.map((q) => q.mean)).toEqual([y[59], y[59], y[59]]);
    expect(p.map((q) => q.sd)).toEqual([sd, sd * Math.sqrt(5), sd * Math.sqrt(10)]);
  });

  it('the Wiener GP projects a martingale: a flat mean at the last value, variance growing linearly', () => {
    const p = gpWiener.project({ x, y }, 59, [1, 5, 10]);
    for (const q of p) expect(Math.abs(q.mean - y[59]!)).toBeLessThan(0.05 * incrementSd({ x, y }));
    const v = p.map((q) => q.sd ** 2);
    // Var(+10) − Var(+5) = 5/4 · (Var(+5) − Var(+1)) for a linear variance (noise term cancels).
    expect((v[2]! - v[1]!) / (v[1]! - v[0]!)).toBeCloseTo(5 / 4, 6);
  });
});

describe('forecastAll', () => {
  it('writes persistence and the GP for every usable series, and says why it skipped the others', () => {
    const origin = minute(60).getTime();
    const rows = [
      ...walk(60, 3).map((rate, i) => ({ ts: minute(i + 1), source: 'a', currency: 'USD', rate })),
      ...Array.from({ length: 30 }, (_, i) => ({
        ts: minute(i + 31),
        source: 'a',
        currency: 'FLAT',
        rate: 7,
      })),
      ...[1, 2, 3].map((i) => ({ ts: minute(57 + i), source: 'a', currency: 'FEW', rate: 10 + i })),
      ...walk(30, 4).map((rate, i) => ({ ts: minute(i + 1), source: 'a', currency: 'OLD', rate })),
    ];
    const { forecasts, skipped } = forecastAll(rows, origin);
    expect(new Set(forecasts.map((f) => f.currency))).toEqual(new Set(['USD']));
    expect(forecasts.map((f) => `${f.model}+${f.horizon}`).sort()).toEqual([
      'gp-wiener+1',
      'gp-wiener+10',
      'gp-wiener+5',
      'persistence+1',
      'persistence+10',
      'persistence+5',
    ]);
    for (const f of forecasts) {
      expect(f.ts).toBe(origin + f.horizon * 60_000);
      expect(f.lo90).toBeLessThan(f.lo50);
      expect(f.lo50).toBeLessThan(f.mean);
      expect(f.hi90 - f.mean).toBeCloseTo((Z90 * (f.hi50 - f.mean)) / 0.6744897501960817, 6);
    }
    expect(skipped.map((s) => [s.currency, s.reason.split(' ')[0]]).sort()).toEqual([
      ['FEW', 'too'],
      ['FLAT', 'flat'],
      ['OLD', 'no'],
    ]);
  });
});

describe('skill', () => {
  it('is 1 − RMSE / RMSE of persistence on the same minutes', () => {
    const base = {
      source: 's',
      currency: 'USD',
      n: 10,
      mae: 1,
      coverage50: 0.5,
      coverage90: 0.9,
      width90: 3,
    };
    const scored = withSkill(
      [
        { ...base, model: 'persistence', horizon: 1, rmse: 2, baseRmse: 2 },
        { ...base, model: 'gp-wiener', horizon: 1, rmse: 1.5, baseRmse: 2 },
        // Ran on calmer minutes only: judged against persistence there, not over the whole span.
        { ...base, model: 'gp-icm', horizon: 1, rmse: 1.2, baseRmse: 1 },
        { ...base, model: 'gp-wiener', horizon: 5, rmse: 1, baseRmse: 0 },
      ],
      '1h',
    );
    expect(scored.map((s) => s.skill)).toEqual([0, 0.25, expect.closeTo(-0.2, 12), null]);
  });
});

describe('skip summary', () => {
  it('groups skips by reason without their numeric detail, keeping a few examples with it', () => {
    const skips = ['USD', 'EUR', 'GBP', 'JPY'].map((c, i) => ({
      source: 'b',
      currency: c,
      model: null,
      reason: `too few points (${i} < 10)`,
    }));
    skips.push({ source: 'b', currency: 'CHF', model: null, reason: 'flat series (every rate equal)' });
    expect(summarizeSkips(skips)).toEqual({
      'too few points': { count: 4, examples: ['b/USD (0 < 10)', 'b/EUR (1 < 10)', 'b/GBP (2 < 10)'] },
      'flat series (every rate equal)': { count: 1, examples: ['b/CHF'] },
    });
  });
});
