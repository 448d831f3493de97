/**
 * The multi-output GP: its Kalman filter against the dense GP written out with ml-matrix (likelihood and
 * posterior, with shifts, ties, gaps and queries before, among and after the data), the recovery of a known
 * lead–lag, and its falling back to exactly the production Wiener GP when no related series helps.
 */
import { Matrix, inverse, determinant } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../forecast/gp/index.ts';
import { gpWiener } from '../../../forecast/models.ts';
import {
  LEVEL_VARIANCE,
  buildData,
  icmFilter,
  type IcmParams,
  type IcmQuery,
} from '../../../forecast/icm-filter.ts';
import { fitIcm, gpIcm, latentCorrelation, projectIcm } from '../../../forecast/multi.ts';
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

describe('fitIcm', () => {
  it('finds the 1.5-minute lead of the leader over the follower and uses it; ignores the unrelated walk', () => {
    const { leader, follower, independent } = windows(200);
    const fit = fitIcm({ ...follower, related: [leader, independent] });
    const lead = fit.related.find((r) => r.name === leader.name)!;
    expect(lead.shift).toBe(-1.5);
    expect(lead.used).toBe(true);
    expect(lead.gain).toBeGreaterThan(20);
    expect(fit.related.find((r) => r.name === independent.name)!.used).toBe(false);
    expect(latentCorrelation(fit, 1)).toBeGreaterThan(0.8);
  }, 20_000);

  it('forecasts the follower from the leader: smaller +1 errors than persistence, a far narrower interval', () => {
    const follower = makeLeadLag({ minutes: 400, seed: 21 }).find((s) => s.name.startsWith('follower'))!;
    let icmError = 0;
    let persistenceError = 0;
    let sd = 0;
    const origins = [150, 170, 190, 210, 230, 250, 270, 290, 310, 330];
    for (const o of origins) {
      const w = windows(o);
      const [p1] = gpIcm.project({ ...w.follower, related: [w.leader] }, 60, [1]);
      const next = follower.y[o + 1]!;
      icmError += Math.abs(p1!.mean - next);
      persistenceError += Math.abs(w.follower.y[59]! - next);
      sd += p1!.sd / origins.length;
    }
    expect(icmError).toBeLessThan(0.8 * persistenceError);
    expect(sd).toBeLessThan(7); // one-minute moves have sd 10: the leader removes most of it
  }, 20_000);

  it('is exactly the production Wiener GP without a related series that earns its place', () => {
    const { follower, independent } = windows(250);
    const alone = gpWiener.project(follower, 60, [1, 5, 10]);
    expect(gpIcm.project(follower, 60, [1, 5, 10])).toEqual(alone);
    expect(gpIcm.project({ ...follower, related: [independent] }, 60, [1, 5, 10])).toEqual(alone);
    expect(gpIcm.lastRelated!()).toEqual([]);
  });

  it('records the related series and lead it used, without changing the forecast', () => {
    const { leader, follower } = windows(200);
    const w = { ...follower, related: [leader] };
    const fit = fitIcm(w);
    expect(gpIcm.project(w, 60, [1, 5])).toEqual(projectIcm(fit, 60, [1, 5]));
    expect(gpIcm.lastRelated!()).toEqual([{ name: leader.name, lead: 1.5 }]);
  }, 20_000);
});
