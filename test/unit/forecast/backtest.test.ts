/**
 * The backtest core: origins and windows on a real-time axis (gaps, staleness, missing targets), no look-ahead,
 * and every statistic recomputed here from errors the test controls.
 */
import { describe, expect, it } from 'vitest';
import {
  originGrid,
  runBacktest,
  verdict,
  type TimeSeries,
  type Trainable,
} from '../../../forecast/backtest.ts';
import { parseCloses } from '../../../forecast/closes.ts';
import { dieboldMariano } from '../../../forecast/dm.ts';
import { persistence, Z50, Z90, type Model } from '../../../forecast/models.ts';
import { makeLeadLag } from '../../../forecast/synthetic.ts';
import { gpIcm } from '../../../forecast/multi.ts';
import { gpMatern12, gpRbf, gpWienerRbf, pickModels } from '../../../forecast/candidates.ts';

const T0 = Date.UTC(2031, 4, 1);
const MIN = 60_000;

/** minutes 0..n−1 (minus `drop`), value = f(minute). */
function series(n: number, f: (i: number) => number, drop: number[] = []): TimeSeries {
  const idx = Array.from({ length: n }, (_, i) => i).filter((i) => !drop.includes(i));
  return {
    name: 'test',
    t: Float64Array.from(idx, (i) => T0 + i * MIN),
    y: Float64Array.from(idx, f),
  };
}

/** A deterministic zig-zag walk: known values at every minute. */
const zig = (i: number) => 100 + Math.sin(i * 1.7) * 3 + (i % 7);

/** Persistence shifted by `offset`, with a fixed sd: its errors are persistence's plus `offset`. */
const shifted = (offset: number, sd = 1): Model => ({
  name: `shifted${offset}`,
  project: (w, originX, horizons) =>
    horizons.map((h) => ({ horizon: h, mean: w.y[w.y.length - 1]! + offset, sd })),
});

describe('runBacktest', () => {
  it('runs every origin with a full window, stride apart, and scores each horizon against the target minute', () => {
    const s = series(100, zig);
    const r = runBacktest({ target: s }, { models: [shifted(0.5)], horizons: [1, 5], stride: 3 });
    // Minutes 59 (60 points) to 98 (a +1 target exists), those on the 3-minute grid of the Unix epoch.
    const origins = Array.from({ length: 40 }, (_, k) => 59 + k).filter((m) => (T0 / MIN + m) % 3 === 0);
    expect(origins).toHaveLength(13);
    expect(r.origins).toBe(origins.length);
    expect(r.from).toBe(T0 + origins[0]! * MIN);
    expect(r.to).toBe(T0 + origins.at(-1)! * MIN);
    const row = (m: string, h: number) => r.rows.find((x) => x.model === m && x.horizon === h)!;
    expect(r.rows.map((x) => x.model)).toEqual(['persistence', 'persistence', 'shifted0.5', 'shifted0.5']);
    for (const h of [1, 5]) {
      const scored = origins.filter((o) => o + h <= 99);
      const base = scored.map((o) => zig(o) - zig(o + h));
      const mine = base.map((e) => e + 0.5);
      const rmse = (e: number[]) => Math.sqrt(e.reduce((a, v) => a + v * v, 0) / e.length);
      expect(row('persistence', h).origins).toBe(scored.length);
      expect(row('persistence', h).rmse).toBeCloseTo(rmse(base), 12);
      expect(row('shifted0.5', h).rmse).toBeCloseTo(rmse(mine), 12);
      expect(row('shifted0.5', h).ratio).toBeCloseTo(rmse(mine) / rmse(base), 12);
      const d = mine.map((e, i) => e * e - base[i]! ** 2);
      // Stride 3: the HAC lag is ⌈h/3⌉ − 1 (0 for h = 1, 1 for h = 5).
      expect(row('shifted0.5', h).dm).toEqual(dieboldMariano(d, { lag: Math.ceil(h / 3) - 1 }));
      expect(row('persistence', h).dm).toMatchObject({ stat: 0, p: 1 });
      const inside = (z: number) => mine.filter((e) => Math.abs(e) <= z).length / mine.length;
      expect(row('shifted0.5', h).coverage50).toBe(inside(Z50));
      expect(row('shifted0.5', h).coverage90).toBe(inside(Z90));
      expect(row('shifted0.5', h).width90).toBeCloseTo(2 * Z90, 12);
    }
  });

  it('counts skipped origins by reason, without the numbers that differ from one origin to the next', () => {
    // Minutes 20..99 missing: from origin 100 on the window is fresh but holds too few points.
    const s = series(
      110,
      zig,
      Array.from({ length: 80 }, (_, i) => 20 + i),
    );
    const r = runBacktest({ target: s }, { models: [], horizons: [1], stride: 1 });
    expect(Object.keys(r.skipped).sort()).toEqual(['stale or empty window', 'too few points']);
  });

  it('keeps gaps on the time axis: a missing target is not scored, a stale window is skipped', () => {
    // Minute 70 missing: the origin 69 has no +1 target. Minutes 80..95 missing: origins 91..95 see their
    // newest rate 12+ minutes old (stale); origins 81..90 too.
    const gaps = [70, ...Array.from({ length: 16 }, (_, i) => 80 + i)];
    const s = series(110, zig, gaps);
    const r = runBacktest({ target: s }, { models: [], horizons: [1], stride: 1 });
    expect(Object.values(r.skipped).reduce((a, b) => a + b, 0)).toBe(
      Array.from({ length: 16 }, (_, i) => 80 + i).filter((o) => o - 79 > 10).length,
    );
    const scored = r.rows[0]!.origins;
    let expected = 0;
    for (let o = 59; o <= 108; o++) {
      if (gaps.includes(o + 1)) continue;
      const last = [...Array(o + 1).keys()].reverse().find((m) => !gaps.includes(m))!;
      if (o - last > 10) continue;
      expected++;
    }
    expect(scored).toBe(expected);
  });

  it('never shows a model anything after the origin, in its own window or a related one', () => {
    const s = series(90, zig);
    const other = { ...series(95, (i) => 2 * zig(i)), name: 'other' };
    let worst = -Infinity;
    const spy: Model = {
      name: 'spy',
      project: (w, originX, horizons) => {
        worst = Math.max(
          worst,
          w.x.at(-1)! - originX,
          ...(w.related ?? []).map((r) => r.x.at(-1)! - originX),
        );
        expect(w.related?.[0]?.name).toBe('other');
        return persistence.project(w, originX, horizons);
      },
    };
    runBacktest({ target: s, related: [other] }, { models: [spy], stride: 2 });
    expect(worst).toBe(0);
  });

  it('trains a learning model once per period on the history up to the origin, and forecasts with what it returns', () => {
    const s = series(300, zig);
    const other = { ...series(300, (i) => 2 * zig(i)), name: 'other' };
    const trained: { origin: number; last: number[] }[] = [];
    const learner: Model & Trainable = {
      name: 'learner',
      project: () => {
        throw new Error('untrained');
      },
      train: (h, origin) => {
        for (const x of [h.target, ...h.related]) expect(x.y.length).toBe(x.t.length);
        trained.push({ origin, last: [h.target.t.at(-1)!, ...h.related.map((r) => r.t.at(-1)!)] });
        return { ...shifted(trained.length), name: 'learner' };
      },
    };
    const r = runBacktest(
      { target: s, related: [other] },
      { models: [learner], horizons: [1], retrainMinutes: 60 },
    );
    const periods = new Set(Array.from({ length: r.origins }, (_, k) => Math.floor((r.from / MIN + k) / 60)));
    expect(trained).toHaveLength(periods.size);
    for (const t of trained) expect(t.last).toEqual([t.origin, t.origin]);
    expect(trained[0]!.origin).toBe(r.from);
    expect(r.rows.find((x) => x.model === 'learner')!.failures).toBe(0);
  });

  it('counts a failing model per origin and scores it on the origins where it did forecast', () => {
    let calls = 0;
    const flaky: Model = {
      name: 'flaky',
      project: (w, o, hs) => {
        if (calls++ % 2 === 0) throw new Error('no');
        return persistence.project(w, o, hs);
      },
    };
    const r = runBacktest({ target: series(80, zig) }, { models: [flaky], horizons: [1], stride: 1 });
    const row = r.rows.find((x) => x.model === 'flaky')!;
    expect(row.failures).toBe(Math.ceil(r.origins / 2));
    expect(row.origins).toBe(r.origins - row.failures);
    expect(row.ratio).toBe(1);
  });

  it('calls a significant DM result better or worse, anything else the same', () => {
    const dm = (stat: number, p: number) => ({ dm: { ...dieboldMariano([0, 0], { lag: 0 }), stat, p } });
    expect(verdict(dm(-3, 0.001))).toBe('better');
    expect(verdict(dm(3, 0.001))).toBe('worse');
    expect(verdict(dm(1.5, 0.2))).toBe('same');
    expect(verdict(dm(NaN, NaN))).toBe('same');
  });
});

describe('candidates', () => {
  it('every candidate projects finite means with sds growing with the horizon', () => {
    const s = makeLeadLag({ minutes: 200, seed: 4 })[0]!;
    const w = { x: Float64Array.from({ length: 60 }, (_, i) => i + 1), y: s.y.slice(100, 160) };
    for (const m of [gpRbf, gpMatern12, gpWienerRbf]) {
      const p = m.project(w, 60, [1, 5, 10]);
      for (const q of p) expect(Number.isFinite(q.mean) && q.sd > 0).toBe(true);
      expect(p[2]!.sd).toBeGreaterThan(p[0]!.sd);
    }
    expect(() => pickModels(['persistence', 'nope'])).toThrow(/unknown model "nope"; known: persistence/);
  }, 20_000);
});

describe('backtest of the multi-output model on a known lead–lag', () => {
  it('beats persistence at +1 for the follower, clearly and significantly, and not for the leader', () => {
    const all = makeLeadLag({ minutes: 480, seed: 9 });
    const leader = all[0]!;
    const follower = all[1]!;
    const independent = all[3]!;
    const opts = { models: [gpIcm], stride: 5 };
    const f = runBacktest({ target: follower, related: [leader, independent] }, opts);
    const f1 = f.rows.find((x) => x.model === 'gp-icm' && x.horizon === 1)!;
    expect(f1.ratio).toBeLessThan(0.75);
    expect(f1.dm.stat).toBeLessThan(-3);
    expect(verdict(f1, 0.001)).toBe('better');
    expect(f1.coverage90).toBeGreaterThan(0.8);
    const l = runBacktest({ target: leader, related: [follower] }, opts);
    const l1 = l.rows.find((x) => x.model === 'gp-icm' && x.horizon === 1)!;
    expect(Math.abs(l1.ratio - 1)).toBeLessThan(0.03);
    expect(verdict(l1)).not.toBe('better');
  }, 30_000);
});

describe('origin accounting', () => {
  // Minutes 0..29 with 12..17 and 25 missing; windows of 10 minutes, at least 5 points, newest at most 3 old.
  const gaps = [12, 13, 14, 15, 16, 17, 25];
  const target = series(30, zig, gaps);
  const opts = { models: [], horizons: [1, 2], windowMinutes: 10, minPoints: 5, maxStalenessMinutes: 3 };

  it('accounts for every origin per horizon: scored, or why not (counted by hand)', () => {
    // Origins 9..28 (20). Stale: 15, 16, 17 (newest rate minute 11). Too short: 18..21 (4 points).
    // Usable: 9..14 and 22..28. +1 targets missing: 11..14 (12..15), 24 (25) → 8 scored.
    // +2 targets missing: 10..14 (12..16), 23 (25), 28 (30) → 6 scored.
    const r = runBacktest({ target }, opts);
    expect(r.origins).toBe(20);
    expect(r.accounting).toEqual([
      {
        horizon: 1,
        tried: 20,
        scored: 8,
        unscored: { 'window empty or stale': 3, 'window too short': 4, 'no rate at the target minute': 5 },
      },
      {
        horizon: 2,
        tried: 20,
        scored: 6,
        unscored: { 'window empty or stale': 3, 'window too short': 4, 'no rate at the target minute': 7 },
      },
    ]);
    expect(r.rows.map((x) => x.origins)).toEqual([8, 6]);
  });

  it('counts usable origins where a related series has too few points in the window', () => {
    // The related series stops after minute 14: from origin 22 on its window holds at most 2 points.
    const related = { ...series(15, (i) => zig(i) + 1), name: 'other' };
    const r = runBacktest({ target, related: [related] }, opts);
    expect(r.relatedMissing).toEqual({ other: 7 });
  });
});

describe('originGrid', () => {
  it('puts origins on the stride grid of the Unix epoch, whatever the data read begins with', () => {
    const t = (from: number, n: number) => Float64Array.from({ length: n }, (_, i) => T0 + (from + i) * MIN);
    const o = { windowMinutes: 60, minHorizon: 1, stride: 5 };
    // A file from minute 3 and a database read from minute 1 with the same range: the same origins.
    const range = { from: T0 + 120 * MIN, to: T0 + 180 * MIN };
    expect(originGrid(t(3, 400), { ...o, ...range })).toEqual(originGrid(t(1, 300), { ...o, ...range }));
    const g = originGrid(t(3, 400), o);
    expect(g.first % (5 * MIN)).toBe(0);
    expect(g.first).toBeGreaterThanOrEqual(T0 + 62 * MIN);
    expect(originGrid(new Float64Array(0), o).count).toBe(0);
  });

  it('gives a CSV file and the same rates read as QuestDB reads them the same origins and scores', () => {
    const all = series(400, zig, [100, 101, 250]);
    // Kraken's format, the whole file.
    const text = Array.from(all.t, (t, i) => {
      const y = all.y[i]!;
      return `${t / 1000},${y},${y},${y},${y},0.1,1`;
    }).join('\n');
    const csv = parseCloses(text, 'test');
    expect(csv.layout?.format).toBe('kraken');
    const from = T0 + 90 * MIN;
    const to = T0 + 300 * MIN;
    // QuestDB mode reads [from − 1 h, to + the longest horizon].
    const keep = (t: number) => t >= from - 60 * MIN && t <= to + 10 * MIN;
    const idx = Array.from(all.t.keys()).filter((i) => keep(all.t[i]!));
    const db: TimeSeries = {
      name: 'test',
      t: Float64Array.from(idx, (i) => all.t[i]!),
      y: Float64Array.from(idx, (i) => all.y[i]!),
    };
    const o = { models: [shifted(0.5)], stride: 5, from, to };
    const a = runBacktest({ target: csv.series }, o);
    const b = runBacktest({ target: db }, o);
    expect(a.origins).toBe(42);
    for (const k of ['origins', 'from', 'to', 'skipped', 'accounting'] as const) expect(a[k]).toEqual(b[k]);
    expect(a.rows.map((r) => [r.origins, r.rmse])).toEqual(b.rows.map((r) => [r.origins, r.rmse]));
  });
});

describe('related series use', () => {
  it('records per window which related series gp-icm used and at which lead', () => {
    const [leader, follower] = makeLeadLag({ minutes: 200, seed: 21 });
    const r = runBacktest(
      { target: follower!, related: [leader!] },
      { models: [gpIcm], horizons: [1], stride: 20 },
    );
    const use = r.relatedUse['gp-icm']!;
    expect(use.windows).toBe(r.accounting[0]!.scored);
    expect(use.used[0]).toMatchObject({ name: leader!.name, lead: 1.5 });
    expect(use.used.reduce((s, u) => s + u.windows, 0)).toBeLessThanOrEqual(use.windows);
    expect(r.relatedUse.persistence).toBeUndefined();
  }, 30_000);
});
