/**
 * Does the batch layer on the lake agree with QuestDB? Compares rows of the same aggregate from two engines,
 * keyed by (ts, source, currency): every key on both sides, the `exact` fields equal, the `close` fields within a
 * relative tolerance (both null also agrees). Returns one line per disagreement; none means they agree. Pure.
 */

export type AggRow = { ts: number; source: string; currency: string } & Record<
  string,
  number | string | null
>;

export type CompareSpec = { exact: string[]; close: string[]; relTol: number };

const keyOf = (r: AggRow) => `${new Date(r.ts).toISOString()} ${r.source} ${r.currency}`;

/** Relative difference of two numbers, scaled by the larger magnitude (0 when both are 0). */
export function relDiff(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

export function compareRows(name: string, left: AggRow[], right: AggRow[], spec: CompareSpec): string[] {
  const out: string[] = [];
  const rights = new Map(right.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  for (const l of left) {
    const k = keyOf(l);
    seen.add(k);
    const r = rights.get(k);
    if (!r) {
      out.push(`${name} ${k}: only on the left`);
      continue;
    }
    for (const f of spec.exact)
      if (l[f] !== r[f]) out.push(`${name} ${k}: ${f} ${String(l[f])} != ${String(r[f])}`);
    for (const f of spec.close) {
      const [a, b] = [l[f] ?? null, r[f] ?? null];
      if (a === null && b === null) continue;
      if (typeof a !== 'number' || typeof b !== 'number' || !(relDiff(a, b) <= spec.relTol))
        out.push(`${name} ${k}: ${f} ${String(a)} != ${String(b)} (relative tolerance ${spec.relTol})`);
    }
  }
  for (const k of rights.keys()) if (!seen.has(k)) out.push(`${name} ${k}: only on the right`);
  return out;
}
