/** Rows from QuestDB → one window per (source, currency), on a real-time x axis. Pure. */
import type { SeriesWindow } from './models.ts';

export type RateRow = { ts: Date; source: string; currency: string; rate: number };
export type Series = { source: string; currency: string; window: SeriesWindow; lastTs: number };

/** Group rows (in time order) by series; x is minutes since `windowStart`, so a missing minute stays a gap. */
export function groupSeries(rows: RateRow[], windowStart: number): Series[] {
  const acc = new Map<string, Omit<Series, 'window'> & { x: number[]; y: number[] }>();
  for (const r of rows) {
    if (!Number.isFinite(r.rate)) continue;
    const key = `${r.source}\u0000${r.currency}`;
    let s = acc.get(key);
    if (!s) acc.set(key, (s = { source: r.source, currency: r.currency, x: [], y: [], lastTs: 0 }));
    const t = r.ts.getTime();
    s.x.push((t - windowStart) / 60_000);
    s.y.push(r.rate);
    s.lastTs = t;
  }
  return [...acc.values()].map(({ x, y, ...s }) => ({
    ...s,
    window: { x: Float64Array.from(x), y: Float64Array.from(y) },
  }));
}
