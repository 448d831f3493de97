/** One-minute closes for backtests, read by `import-csv`'s reader; bad or out-of-order lines reported, skipped. */
import { makeCandleReader, type CsvFormat } from '../migrations/backfills/candle-csv.ts';

export type BadLine = { line: number; reason: string; field: string };
/**
 * Parse a closes file into a series named `name`, with the `layout` it was read in (null if no line was
 * understood); timestamps a day past `now` (default: none) are refused.
 */
export function parseCloses(text: string, name: string, opts: { format?: CsvFormat; now?: number } = {}) {
  const t: number[] = [];
  const y: number[] = [];
  const bad: BadLine[] = [];
  let header = false;
  const reader = makeCandleReader({ format: opts.format, now: opts.now ?? Infinity });
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const r = reader.line(raw);
    if (r.kind === 'blank') return;
    if (r.kind === 'header') header = true;
    else if (r.kind === 'bad') bad.push({ line: i + 1, reason: r.reason, field: r.field });
    else {
      const { ts: minute, close } = r.candle;
      const prev = t.at(-1);
      if (prev !== undefined && minute <= prev) {
        const reason = `${new Date(minute).toISOString()} is not after the previous minute ${new Date(prev).toISOString()}`;
        bad.push({ line: i + 1, field: 'order', reason });
        return;
      }
      t.push(minute);
      y.push(close);
    }
  });
  const series = { name, t: Float64Array.from(t), y: Float64Array.from(y) };
  return { series, lines: lines.length, header, layout: reader.layout, bad };
}

/** Skipped lines counted by reason, e.g. "3 timestamp, 1 order". Pure. */
export function countByField(bad: readonly { field: string }[]): string {
  const n = new Map<string, number>();
  for (const b of bad) n.set(b.field, (n.get(b.field) ?? 0) + 1);
  return [...n].map(([f, c]) => `${c} ${f}`).join(', ');
}
