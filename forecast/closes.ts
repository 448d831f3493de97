/**
 * A file of one-minute closes for backtests: `timestamp, close` or a candle line `timestamp, open, high, low,
 * close[, volume]` (the close is used), header optional, timestamps as `import-csv` reads them. Bad lines are
 * reported by line number with a reason, skipped and counted; the rest must move forward in time. Pure.
 */
import { describeRefusal, parseTimestamp } from '../common/time.ts';
import { splitCsvLine } from '../migrations/backfills/candles.ts';
import type { TimeSeries } from './backtest.ts';

export type BadLine = { line: number; reason: string };
export type ParsedCloses = { series: TimeSeries; lines: number; header: boolean; bad: BadLine[] };

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parse the text of a closes file into a series named `name`. */
export function parseCloses(text: string, name: string): ParsedCloses {
  const t: number[] = [];
  const y: number[] = [];
  const bad: BadLine[] = [];
  let header = false;
  let seen = 0;
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') return;
    const first = seen++ === 0;
    const f = splitCsvLine(line);
    const parsed = parseTimestamp(f[0] ?? '');
    if (!parsed.ok) {
      if (first && /[A-Za-z]/.test(f[0] ?? '')) header = true;
      else bad.push({ line: i + 1, reason: describeRefusal('timestamp', f[0] ?? '', parsed.reason) });
      return;
    }
    const ts = parsed.ms;
    if (f.length !== 2 && f.length !== 5 && f.length !== 6) {
      bad.push({
        line: i + 1,
        reason: `expected 2 fields (timestamp, close) or 5-6 (a candle), got ${f.length}`,
      });
      return;
    }
    const text = f.length === 2 ? f[1]! : f[4]!;
    const close = Number(text);
    if (!DECIMAL.test(text) || !Number.isFinite(close) || close <= 0) {
      bad.push({ line: i + 1, reason: `close "${text}" is not a positive number` });
      return;
    }
    const minute = Math.floor(ts / 60_000) * 60_000;
    const prev = t.at(-1);
    if (prev !== undefined && minute <= prev) {
      bad.push({
        line: i + 1,
        reason: `${new Date(minute).toISOString()} is not after the previous minute ${new Date(prev).toISOString()}`,
      });
      return;
    }
    t.push(minute);
    y.push(close);
  });
  return {
    series: { name, t: Float64Array.from(t), y: Float64Array.from(y) },
    lines: lines.length,
    header,
    bad,
  };
}
