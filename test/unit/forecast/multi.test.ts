/**
 * The multi-output GP: its Kalman filter against the dense GP written out with ml-matrix (likelihood and
 * posterior, with shifts, ties, gaps and queries before, among and after the data); learning a lead and an
 * interval scale; the staleness correction; training, and falling back to exactly the production Wiener GP.
 */
import { Matrix, inverse, determinant } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../forecast/gp/index.ts';
import { gpWiener, Z90 } from '../../../forecast/models.ts';
import {
  LEVEL_VARIANCE,
  buildData,
  icmFilter,
  type IcmParams,
  type IcmQuery,
} from '../../../forecast/icm-filter.ts';
import type { TimeSeries } from '../../../forecast/backtest.ts';
import { fitIcm, gpIcm, intervalScale, learnLead, projectIcm } from '../../../forecast/multi.ts';
import { makeLeadLag } from '../../../forecast/synthetic.ts';

/** The ICM covariance of latent values and observations, straight from its definition. */
function denseReference(
  obs: { s: number; u: number; z: number }[],
  p: IcmParams,
  queries: IcmQuery[],
): { lml: number; mean: number[]; variance: number[] } {
  const u0 = Math.min(...obs.map((o) => o.u), ...queries.map((q) => q.u));
  const k = (s: number, u: number, t: number, v: number) =>
    p.w[s]! * p.w[t]! * (Math.min(u, v) - u0) + (s === t ? p.kappa[s]! * (Math.min(u, v) - u0) + p.level : 0);
  const n = obs.length;
  const K = Matrix.from1DArray(
    n,
    n,
    obs.flatMap((a, i) => obs.map((b, j) => k(a.s, a.u, b.s, b.u) + (i === j ? p.noise[a.s]! : 0))),
  );
  const y = Matrix.columnVector(obs.map((o) => o.z));
  const kinv = inverse(K);
  const alpha = kinv.mmul(y);
  const lml =
    -0.5 * y.transpose().mmul(alpha).get(0, 0) -
    0.5 * Math.log(determinant(K)) -
    0.5 * n * Math.log(2 * Math.PI);
  const mean: number[] = [];
  const variance: number[] = [];
  for (const q of queries) {
    const ks = Matrix.rowVector(obs.map((o) => k(q.out, q.u, o.s, o.u)));
    mean.push(ks.mmul(alpha).get(0, 0));
    variance.push(k(q.out, q.u, q.out, q.u) - ks.mmul(kinv).mmul(ks.transpose()).get(0, 0));
  }
  return { lml, mean, variance };
}

describe('ICM Kalman filter', () => {
  it('equals the dense GP: likelihood, posterior means and variances, with shifts, ties and gaps', () => {
    const r = mulberry32(5);
    const outputs = [
      { x: Float64Array.from([1, 2, 3, 5, 6, 7, 8, 11, 12]), z: new Float64Array(9) },
      { x: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), z: new Float64Array(10) },
      { x: Float64Array.from([2, 4, 6, 8, 10]), z: new Float64Array(5) },
    ];
    for (const o of outputs) o.z.forEach((_, i) => (o.z[i] = 3 * r() - 1.5 + i * 0.3));
    const shifts = [0, -1.5, 2];
    const p: IcmParams = {
      w: Float64Array.from([0.9, 1.1, 0.4]),
      kappa: Float64Array.from([0.2, 0.05, 0.7]),
      noise: Float64Array.from([0.03, 0.01, 0.2]),
      level: LEVEL_VARIANCE,
    };
    const queries: IcmQuery[] = [
      { out: 0, u: 13 },
      { out: 0, u: 9.5 },
      { out: 0, u: 22 },
      { out: 1, u: 4 },
      { out: 2, u: -3 },
    ];
    const data = buildData(outputs, shifts);
    for (let j = 1; j < data.u.length; j++) expect(data.u[j]).toBeGreaterThanOrEqual(data.u[j - 1]!);
    const obs = Array.from(data.u, (u, j) => ({ s: data.out[j]!, u, z: data.z[j]! }));
    const ref = denseReference(obs, p, queries);
    const got = icmFilter(data, p, queries);
    expect(got.lml).toBeCloseTo(ref.lml, 9);
    queries.forEach((_, i) => {
      expect(got.mean[i]).toBeCloseTo(ref.mean[i]!, 9);
      expect(got.variance[i]).toBeCloseTo(ref.variance[i]!, 9);
    });
  });
});

/** A 60-minute window of each generated series ending at minute `o`, on the forecaster's x axis (1..60). */
function windows(o: number) {
  const all = makeLeadLag({ minutes: 400, seed: 21 });
  const x = Float64Array.from({ length: 60 }, (_, i) => i + 1);
  const at = (name: string) => {
    const s = all.find((a) => a.name.startsWith(name))!;
    return { name: s.name, x, y: s.y.slice(o - 59, o + 1) };
  };
  return { leader: at('leader'), follower: at('follower'), independent: at('independent') };
}

/** A series observed only at some minutes, like a thinly traded market (each minute kept with probability `keep`). */
function thin(s: TimeSeries, keep: number, seed: number): TimeSeries {
  const r = mulberry32(seed);
  const i = [...s.t.keys()].filter(() => r() < keep);
  return { name: s.name, t: Float64Array.from(i, (j) => s.t[j]!), y: Float64Array.from(i, (j) => s.y[j]!) };
}

/** Minutes since the generated series' start, as learnLead reads a training span. */
const minutes = (s: TimeSeries) => ({
  x: Float64Array.from(s.t, (t) => (t - Date.UTC(2030, 0, 1)) / 60_000),
  y: s.y,
});

describe('learnLead', () => {
  const [leader, follower, , independent] = makeLeadLag({ minutes: 600, seed: 3 });

  it("finds the 1.5-minute lead of the leader, and that it removes most of persistence's error", () => {
    const l = learnLead(minutes(follower!), minutes(leader!), { maxLead: 3 })!;
    expect(l.lead).toBe(1.5);
    expect(l.relativeError).toBeLessThan(0.7);
  });

  it('finds a half-minute lead over a thinly traded copy, whose moves span gaps', () => {
    const [fast, slow] = makeLeadLag({ minutes: 600, seed: 4, lagMinutes: 0.5, noise: 0.5 });
    const l = learnLead(minutes(thin(slow!, 0.4, 1)), minutes(fast!), { maxLead: 3 })!;
    expect(l.lead).toBe(0.5);
    expect(l.relativeError).toBeLessThan(0.6);
  });

  it('never helps from a series that lags the target or moves independently, and needs enough moves', () => {
    expect(learnLead(minutes(leader!), minutes(follower!), { maxLead: 3 })!.relativeError).toBeGreaterThan(
      0.95,
    );
    // At lead 0 the forecast is persistence (error ratio 1); any other lead of an unrelated walk is worse.
    expect(learnLead(minutes(follower!), minutes(independent!), { maxLead: 3 })).toEqual({
      lead: 0,
      relativeError: 1,
    });
    const short = { x: minutes(follower!).x.slice(0, 20), y: follower!.y.slice(0, 20) };
    expect(learnLead(short, minutes(leader!), { maxLead: 3 })).toBeNull();
  });
});

describe('intervalScale', () => {
  it('scales sds so that 90% of the errors fall inside the 90% interval', () => {
    const ratios = Array.from({ length: 100 }, (_, i) => (i + 1) / 50); // 0.02 .. 2
    expect(intervalScale(ratios)).toBeCloseTo(1.8 / Z90, 12);
    expect(intervalScale(ratios.map((r) => r * Z90))).toBeCloseTo(1.8, 12);
    expect(intervalScale(ratios.slice(0, 19))).toBe(1);
  });
});

describe('fitIcm', () => {
  it('moves a stale target by what the related series did since it last traded', () => {
    const { leader } = windows(150);
    // The target is the leader itself, last observed 6 minutes before the origin, 30 below the leader's level.
    const target = { name: 'stale', x: leader.x.slice(0, 54), y: leader.y.slice(0, 54).map((v) => v - 30) };
    const fit = fitIcm({ ...target, related: [leader] }, { name: leader.name, lead: 0 });
    const [p] = projectIcm(fit, 60, [1]);
    const moved = leader.y[59]! - leader.y[53]!;
    expect(Math.abs(moved)).toBeGreaterThan(40);
    expect(Math.abs(p!.mean - (target.y[53]! + moved))).toBeLessThan(0.1 * Math.abs(moved));
    expect(gpWiener.project(target, 60, [1])[0]!.mean).toBeCloseTo(target.y[53]!, 0);
  });

  it('forecasts the follower from the leader at its lead: smaller +1 errors than persistence, a far narrower interval', () => {
    const follower = makeLeadLag({ minutes: 400, seed: 21 }).find((s) => s.name.startsWith('follower'))!;
    let icmError = 0;
    let persistenceError = 0;
    let sd = 0;
    const origins = [150, 170, 190, 210, 230, 250, 270, 290, 310, 330];
    for (const o of origins) {
      const w = windows(o);
      const fit = fitIcm({ ...w.follower, related: [w.leader] }, { name: w.leader.name, lead: 1.5 });
      const [p1] = projectIcm(fit, 60, [1]);
      const next = follower.y[o + 1]!;
      icmError += Math.abs(p1!.mean - next);
      persistenceError += Math.abs(w.follower.y[59]! - next);
      sd += p1!.sd / origins.length;
    }
    expect(icmError).toBeLessThan(0.8 * persistenceError);
    expect(sd).toBeLessThan(7); // one-minute moves have sd 10: the leader removes most of it
  }, 20_000);
});

describe('gp-icm training', () => {
  const all = makeLeadLag({ minutes: 400, seed: 21 });
  const [leader, follower, , independent] = all;
  const history = (n: number) => {
    const cut = (s: TimeSeries) => ({ ...s, t: s.t.slice(0, n), y: s.y.slice(0, n) });
    return { target: cut(follower!), related: [cut(independent!), cut(leader!)] };
  };

  it('is exactly the production Wiener GP untrained, or where no related series helped in training', () => {
    const { follower: f, independent: i } = windows(250);
    const alone = gpWiener.project(f, 60, [1, 5, 10]);
    expect(gpIcm.project({ ...f, related: [i] }, 60, [1, 5, 10])).toEqual(alone);
    expect(gpIcm.lastRelated!()).toEqual([]);
    const h = history(300);
    const trained = gpIcm.train({ ...h, related: [h.related[0]!] }, h.target.t[299]!, [1, 5, 10]);
    const p = trained.project({ ...f, related: [i] }, 60, [1, 5, 10]);
    expect(p.map((q) => q.mean)).toEqual(alone.map((q) => q.mean));
    expect(trained.lastRelated!()).toEqual([]);
  }, 20_000);

  it('learns to use the leader at its lead on the span before the origin, with calibrated interval scales', () => {
    const h = history(300);
    const trained = gpIcm.train(h, h.target.t[299]!, [1, 5]);
    const { leader: l, follower: f, independent: i } = windows(330);
    const w = { ...f, related: [i, l] };
    const p = trained.project(w, 60, [1, 5]);
    expect(trained.lastRelated!()).toEqual([{ name: leader!.name, lead: 1.5 }]);
    const raw = projectIcm(fitIcm(w, { name: leader!.name, lead: 1.5 }), 60, [1, 5]);
    p.forEach((q, k) => {
      expect(q.mean).toBe(raw[k]!.mean);
      const scale = q.sd / raw[k]!.sd;
      expect(scale).toBeGreaterThan(0.5);
      expect(scale).toBeLessThan(2);
    });
    // A history too short to learn from leaves it untrained.
    expect(gpIcm.train(history(25), h.target.t[24]!, [1]).project(w, 60, [1])).toEqual(
      gpWiener.project(f, 60, [1]),
    );
  }, 30_000);
});
