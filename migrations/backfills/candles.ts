/**
 * Parsing one-minute candle CSV lines (timestamp, open, high, low, close[, volume]) into typed candles or reasoned
 * rejections. Pure: the import shell (import-csv.ts) owns the file, QuestDB and the terminal.
 */
import { describeRefusal, parseTimestamp } from '../../common/time.ts';

export type Candle = {
  /** The candle's minute, epoch ms UTC (timestamps inside a minute are floored to it). */
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
};

export type LineResult =
  | { kind: 'candle'; candle: Candle }
  | { kind: 'header' }
  | { kind: 'blank' }
  | { kind: 'bad'; field: BadField; reason: string };

/** What was wrong with a rejected line, for the import's summary. */
export type BadField = 'fields' | 'timestamp' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'candle';

/** 2009-01-03: the Bitcoin genesis block. An earlier "rate" is a unit mistake (seconds read as ms) or junk. */
export const EARLIEST_MS = Date.UTC(2009, 0, 3);
const DAY_MS = 86_400_000;

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Split one CSV line into trimmed fields, honouring double quotes ("a,b" and "" inside them). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field.trim());
      field = '';
    } else field += c;
  }
  out.push(field.trim());
  return out;
}

const bad = (field: BadField, reason: string): LineResult => ({ kind: 'bad', field, reason });

function parsePrice(name: string, text: string): number | string {
  if (!DECIMAL.test(text)) return `${name} "${text}" is not a number`;
  const n = Number(text);
  if (!Number.isFinite(n)) return `${name} ${text} is not finite`;
  if (n <= 0) return `${name} ${text} is not positive`;
  return n;
}

/**
 * Parse one line of a candle file. `first` marks the file's first non-blank line, the only place a header
 * (a first field that is not a timestamp and holds letters) is accepted. Timestamps later than a day past
 * `now`, or before the genesis block, are rejected. Pure.
 */
export function parseCandleLine(line: string, opts: { first: boolean; now: number }): LineResult {
  const text = (opts.first ? line.replace(/^\uFEFF/, '') : line).replace(/\r$/, '');
  if (text.trim() === '') return { kind: 'blank' };
  const fields = splitCsvLine(text);
  const parsed = parseTimestamp(fields[0] ?? '');
  if (!parsed.ok) {
    if (opts.first && /[A-Za-z]/.test(fields[0] ?? '') && fields.length >= 5) return { kind: 'header' };
    return bad('timestamp', describeRefusal('timestamp', fields[0] ?? '', parsed.reason));
  }
  const ts = parsed.ms;
  if (fields.length !== 5 && fields.length !== 6)
    return bad(
      'fields',
      `expected 5 or 6 fields (timestamp, open, high, low, close[, volume]), got ${fields.length}`,
    );
  if (ts < EARLIEST_MS)
    return bad('timestamp', `${new Date(ts).toISOString()} is before Bitcoin existed (seconds read as ms?)`);
  if (ts > opts.now + DAY_MS) return bad('timestamp', `${new Date(ts).toISOString()} is in the future`);

  const prices: number[] = [];
  for (const [i, name] of (['open', 'high', 'low', 'close'] as const).entries()) {
    const p = parsePrice(name, fields[i + 1] ?? '');
    if (typeof p === 'string') return bad(name, p);
    prices.push(p);
  }
  const [open, high, low, close] = prices as [number, number, number, number];
  if (low > high || close < low || close > high || open < low || open > high)
    return bad('candle', `inconsistent candle: open ${open}, high ${high}, low ${low}, close ${close}`);

  let volume: number | null = null;
  const v = fields[5];
  if (v !== undefined && v !== '') {
    if (!DECIMAL.test(v) || !Number.isFinite(Number(v)) || Number(v) < 0)
      return bad('volume', `volume "${v}" is not a finite non-negative number`);
    volume = Number(v);
  }
  return { kind: 'candle', candle: { ts: Math.floor(ts / 60_000) * 60_000, open, high, low, close, volume } };
}
