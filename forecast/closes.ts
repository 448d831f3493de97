/** Minute closes for backtests through `import-csv`'s reader, in any order; bad and repeated lines skipped. */
import { makeCandleReader, type CsvFormat } from '../migrations/backfills/candle-csv.ts';

export type BadLine = { line: number; reason: string; field: string };
/**
 * Parse a closes file into a series named `name`, with the `layout` it was read in (null if no line was
 * understood); timestamps a day past `now` (default: none) are refused.
 */
export function parseCloses(text: string, name: string, opts: { format?: CsvFormat; now?: number } = {}) {
  const bad: BadLine[] = [];
  let header = false;
  const reader = makeCandleReader({ format: opts.format, now: opts.now ?? Infinity });
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const rows: { minute: number; close: number; line: number }[] = [];
  lines.forEach((raw, i) => {
    const r = reader.line(raw);
    if (r.kind === 'blank') return;
    if (r.kind === 'header') header = true;
    else if (r.kind === 'bad') bad.push({ line: i + 1, reason: r.reason, field: r.field });
    else rows.push({ minute: r.candle.ts, close: r.candle.close, line: i + 1 });
  });
  // Any order, as for import-csv; of lines giving one minute the last is used, as import-csv's DEDUP does.
  rows.sort((a, b) => a.minute - b.minute || a.line - b.line);
  const kept: typeof rows = [];
  for (const r of rows) {
    const prev = kept.at(-1);
    if (r.minute !== prev?.minute) kept.push(r);
    else {
      bad.push({ line: prev.line, field: 'repeat', reason: `its minute is given again on line ${r.line}` });
      kept[kept.length - 1] = r;
    }
  }
  bad.sort((a, b) => a.line - b.line);
  const series = {
    name,
    t: Float64Array.from(kept, (r) => r.minute),
    y: Float64Array.from(kept, (r) => r.close),
  };
  return { series, lines: lines.length, header, layout: reader.layout, bad };
}

/** Skipped lines counted by reason, e.g. "3 timestamp, 1 repeat". Pure. */
export function countByField(bad: readonly { field: string }[]): string {
  const n = new Map<string, number>();
  for (const b of bad) n.set(b.field, (n.get(b.field) ?? 0) + 1);
  return [...n].map(([f, c]) => `${c} ${f}`).join(', ');
}
