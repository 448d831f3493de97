/**
 * The state space behind the multi-output GP (multi.ts): every term of the ICM is a random walk, so the model is
 * the linear state [g, a_1..a_S] (a shared Wiener process and one independent walk per output, each with a
 * diffuse level), and a Kalman filter over the observations in latent-time order gives the exact GP likelihood
 * and posterior in O(n·S²) instead of the dense GP's O(n³) (multi.test.ts holds it to the dense GP). Pure.
 */

/** Observations of all outputs in latent-time order. */
export type IcmData = { u: Float64Array; z: Float64Array; out: Int32Array; outputs: number };

/** Hyperparameters, one entry per output (natural units of the normalized data). */
export type IcmParams = { w: Float64Array; kappa: Float64Array; noise: Float64Array; level: number };

/** A latent value to predict: output `out` at latent time `u`. */
export type IcmQuery = { out: number; u: number };

/**
 * Level variance C of each output, in squared one-minute increment sds: diffuse, so two sources may sit at
 * different levels (a spread, or a delayed copy whose window starts 15 minutes earlier in price) and only their
 * moves are shared.
 */
export const LEVEL_VARIANCE = 100;

/**
 * Kalman filter over `data` in latent-time order: log marginal likelihood and, for each query, the posterior
 * mean and variance of the latent f (no noise) given every observation — queries are frozen copies of the
 * state appended when the filter passes their time, so later observations still update them (fixed-point
 * smoothing). Observations may share a time; queries may lie before, among or after them.
 */
export function icmFilter(
  data: IcmData,
  p: IcmParams,
  queries: readonly IcmQuery[] = [],
): { lml: number; mean: Float64Array; variance: Float64Array } {
  const S = data.outputs;
  const Q = queries.length;
  const d = 1 + S + Q;
  const m = new Float64Array(d);
  const P = new Float64Array(d * d);
  const ph = new Float64Array(d);
  const { w, kappa, noise } = p;
  for (let s = 0; s < S; s++) P[(1 + s) * d + 1 + s] = p.level;
  const order = queries.map((q, i) => ({ ...q, i })).sort((a, b) => a.u - b.u);
  const n = data.u.length;
  let now = Math.min(n ? data.u[0]! : 0, order.length ? order[0]!.u : Infinity);
  let quad = 0;
  let logDet = 0;
  // Σ log S_j as the log of running products: one Math.log per ~dozens of observations instead of each.
  let prod = 1;
  let qi = 0;
  for (let j = 0; j <= n; j++) {
    const u = j < n ? data.u[j]! : Infinity;
    // Queries up to this observation's time are frozen first: f_out(u_q) = w·g + a_out joins the state.
    for (; qi < order.length && order[qi]!.u <= u; qi++) {
      const q = order[qi]!;
      const du = q.u - now;
      if (du > 0) {
        P[0]! += du;
        for (let s = 0; s < S; s++) P[(1 + s) * d + 1 + s]! += kappa[s]! * du;
        now = q.u;
      }
      const k = 1 + S + q.i;
      const wq = w[q.out]!;
      const a = 1 + q.out;
      for (let i = 0; i < d; i++) ph[i] = wq * P[i * d]! + P[i * d + a]!;
      m[k] = wq * m[0]! + m[a]!;
      for (let i = 0; i < d; i++) {
        P[k * d + i] = ph[i]!;
        P[i * d + k] = ph[i]!;
      }
      P[k * d + k] = wq * ph[0]! + ph[a]!;
    }
    if (j === n) break;
    const du = u - now;
    if (du > 0) {
      P[0]! += du;
      for (let s = 0; s < S; s++) P[(1 + s) * d + 1 + s]! += kappa[s]! * du;
      now = u;
    }
    const s = data.out[j]!;
    const ws = w[s]!;
    const a = 1 + s;
    for (let i = 0; i < d; i++) ph[i] = ws * P[i * d]! + P[i * d + a]!;
    const sv = ws * ph[0]! + ph[a]! + noise[s]!;
    if (!(sv > 0)) return { lml: -Infinity, mean: new Float64Array(Q), variance: new Float64Array(Q) };
    const innov = data.z[j]! - (ws * m[0]! + m[a]!);
    quad += (innov * innov) / sv;
    prod *= sv;
    if (prod > 1e150 || prod < 1e-150) {
      logDet += Math.log(prod);
      prod = 1;
    }
    const gain = innov / sv;
    for (let i = 0; i < d; i++) {
      const phi = ph[i]!;
      m[i]! += phi * gain;
      const c = phi / sv;
      const row = i * d;
      for (let k = 0; k <= i; k++) {
        const v = P[row + k]! - c * ph[k]!;
        P[row + k] = v;
        P[k * d + i] = v;
      }
    }
  }
  logDet += Math.log(prod);
  const lml = -0.5 * (quad + logDet + n * Math.log(2 * Math.PI));
  const mean = Float64Array.from({ length: Q }, (_, i) => m[1 + S + i]!);
  const variance = Float64Array.from({ length: Q }, (_, i) => Math.max(0, P[(1 + S + i) * d + 1 + S + i]!));
  return { lml, mean, variance };
}

/** Merge outputs (each in time order) shifted by `shifts` into latent-time order; ties in output order. */
export function buildData(
  outputs: readonly { x: Float64Array; z: Float64Array }[],
  shifts: readonly number[],
): IcmData {
  const S = outputs.length;
  const n = outputs.reduce((a, o) => a + o.x.length, 0);
  const data: IcmData = {
    u: new Float64Array(n),
    z: new Float64Array(n),
    out: new Int32Array(n),
    outputs: S,
  };
  const next = new Int32Array(S);
  for (let j = 0; j < n; j++) {
    let best = -1;
    let bu = Infinity;
    for (let s = 0; s < S; s++) {
      const o = outputs[s]!;
      const i = next[s]!;
      if (i < o.x.length && o.x[i]! - shifts[s]! < bu) {
        bu = o.x[i]! - shifts[s]!;
        best = s;
      }
    }
    data.u[j] = bu;
    data.z[j] = outputs[best]!.z[next[best]!]!;
    data.out[j] = best;
    next[best]!++;
  }
  return data;
}
