/** The one reader of candle CSV files: format detected from the first line (or forced), then each line. */
import { describeRefusal, GENESIS_MS, parseTimestamp } from '../../common/time.ts';

export type Candle = {
  /** The candle's minute, epoch ms UTC (timestamps inside a minute are floored to it). */
  ts: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number;
  volume: number | null;
};

export type LineResult =
  | { kind: 'candle'; candle: Candle }
  | { kind: 'header' }
  | { kind: 'blank' }
  | { kind: 'bad'; field: BadField; reason: string };

/** What was wrong with a rejected line, for the summaries. */
export type BadField =
  'format' | 'fields' | 'timestamp' | 'open' | 'high' | 'low' | 'close' | 'volume' | 'candle';

export const CSV_FORMATS = ['kraken', 'binance', 'ohlcv', 'header'] as const;
export type CsvFormat = (typeof CSV_FORMATS)[number];

/** `--format` as typed: a format name, or the reason it is not one. Pure. */
export function parseFormat(text: string): CsvFormat | { error: string } {
  const f = text.trim().toLowerCase();
  return (CSV_FORMATS as readonly string[]).includes(f)
    ? (f as CsvFormat)
    : { error: `--format "${text}": use one of ${CSV_FORMATS.join(', ')}` };
}

type Column = 'time' | 'open' | 'high' | 'low' | 'close' | 'volume';
type Columns = Partial<Record<Column, number>> & { time: number; close: number };

/** How the lines of one file are read, once its first line has been seen. */
export type Layout = {
  format: CsvFormat;
  detected: boolean;
  /** The first non-blank line was a header (skipped). */
  header: boolean;
  /** Column positions for a line of n fields, or null when n is wrong for the format. */
  columns(n: number): Columns | null;
  /** The field counts the format takes, for the rejection reason. */
  expected: string;
  /** For the header format: the columns it reads, as the header names them. */
  named?: string;
};

const OHLCV: Columns = { time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 };
const POSITIONAL: Record<Exclude<CsvFormat, 'header'>, Omit<Layout, 'format' | 'detected' | 'header'>> = {
  kraken: { columns: (n) => (n === 7 ? OHLCV : null), expected: '7 fields (Kraken OHLCVT)' },
  binance: { columns: (n) => (n === 12 ? OHLCV : null), expected: '12 fields (Binance kline)' },
  ohlcv: {
    columns: (n) => (n === 5 || n === 6 ? OHLCV : n === 2 ? { time: 0, close: 1 } : null),
    expected: '5 or 6 fields (time, open, high, low, close[, volume]) or 2 (time, close)',
  },
};
const TIME_NAMES = ['open_time', 'timestamp', 'time', 'ts', 'date', 'datetime'];

/** One line for the terminal: the format and whether it was detected or forced. Pure. */
export function describeLayout(l: Layout): string {
  const what = {
    kraken: 'Kraken OHLCVT (time, open, high, low, close, volume, trades)',
    binance: 'Binance kline (12 columns, open time in ms or µs)',
    ohlcv: 'time, open, high, low, close[, volume] (or time, close)',
    header: `columns named by the header (${l.named ?? ''})`,
  }[l.format];
  return `format ${l.format} (${l.detected ? 'detected' : 'forced'}): ${what}${l.header ? ', header skipped' : ''}`;
}

/** Columns named by a header line, or null when it names no time column or no close. */
function headerColumns(names: string[]): Columns | null {
  const lower = names.map((n) => n.toLowerCase());
  const cols: Partial<Columns> = {};
  for (const c of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
    const i = lower.findIndex((n) => (c === 'time' ? TIME_NAMES : [c]).includes(n));
    if (i >= 0) cols[c] = i;
  }
  return cols.time === undefined || cols.close === undefined ? null : (cols as Columns);
}

/** The columns that a row of n fields holds. */
function within(cols: Columns, n: number): Columns {
  return Object.fromEntries(Object.entries(cols).filter(([, i]) => i < n)) as Columns;
}

/** How a file is read, from its first non-blank line (a header or a field count), or why not. Pure. */
export function detectLayout(fields: string[], forced?: CsvFormat): Layout | string {
  const first = fields[0] ?? '';
  // A header names its columns (pandas leaves the first unnamed), or has letters in its first field, which is no time.
  const named = headerColumns(fields);
  const isHeader =
    !!named || (/[A-Za-z]/.test(first) && !/^\s*\d{4}-\d\d/.test(first) && !parseTimestamp(first).ok);
  const fromHeader = (cols: Columns): Layout => ({
    format: 'header',
    detected: !forced,
    header: true,
    // A row may end early, leaving out trailing optional columns (a candle without its volume).
    columns: (n) => (n <= fields.length && cols.time < n && cols.close < n ? within(cols, n) : null),
    expected: `${fields.length} fields (as the header), or fewer when only optional columns are left out`,
    named: Object.values(cols)
      .sort((a, b) => a - b)
      .map((i) => fields[i])
      .join(', '),
  });
  if (forced === 'header') {
    if (named) return fromHeader(named);
    return isHeader
      ? `the header "${fields.join(',')}" names no time column (${TIME_NAMES.join(', ')}) or no close`
      : 'format header: the first line must be a header naming a time column and close';
  }
  if (forced) return { format: forced, detected: false, header: isHeader, ...POSITIONAL[forced] };
  if (named) return fromHeader(named);
  // A header of other names over time, open, high, low, close[, volume] (or time, close) columns.
  if (isHeader && POSITIONAL.ohlcv.columns(fields.length))
    return { format: 'ohlcv', detected: true, header: true, ...POSITIONAL.ohlcv };
  if (isHeader)
    return `unrecognized header "${fields.join(',')}": name a time column (${TIME_NAMES.join(', ')}) and close, or use --format`;
  const n = fields.length;
  const format = n === 7 ? 'kraken' : n === 12 ? 'binance' : POSITIONAL.ohlcv.columns(n) ? 'ohlcv' : null;
  if (!format)
    return `no known format has ${n} field(s): Kraken OHLCVT has 7, Binance klines 12, time,open,high,low,close[,volume] 5 or 6, time,close 2`;
  return { format, detected: true, header: false, ...POSITIONAL[format] };
}

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

/** One data line under a layout; a time before the genesis block or a day past `now` is refused. Pure. */
export function parseCandleFields(fields: string[], layout: Layout, now: number): LineResult {
  const cols = layout.columns(fields.length);
  const parsed = parseTimestamp(fields[cols?.time ?? 0] ?? '');
  if (!cols) {
    // A line that is not even a time first is reported as such: it is more likely junk than a short row.
    if (!parsed.ok) return bad('timestamp', describeRefusal('timestamp', fields[0] ?? '', parsed.reason));
    return bad('fields', `expected ${layout.expected}, got ${fields.length}`);
  }
  if (!parsed.ok)
    return bad('timestamp', describeRefusal('timestamp', fields[cols.time] ?? '', parsed.reason));
  const ts = parsed.ms;
  if (ts < GENESIS_MS)
    return bad('timestamp', `${new Date(ts).toISOString()} is before Bitcoin existed (seconds read as ms?)`);
  if (ts > now + DAY_MS) return bad('timestamp', `${new Date(ts).toISOString()} is in the future`);

  const price: Partial<Record<'open' | 'high' | 'low' | 'close', number>> = {};
  for (const name of ['open', 'high', 'low', 'close'] as const) {
    const i = cols[name];
    if (i === undefined) continue;
    const p = parsePrice(name, fields[i] ?? '');
    if (typeof p === 'string') return bad(name, p);
    price[name] = p;
  }
  const { open = null, high = null, low = null } = price;
  const close = price.close!;
  if (high !== null && low !== null) {
    const outside = (v: number | null) => v !== null && (v < low || v > high);
    if (low > high || outside(close) || outside(open))
      return bad('candle', `inconsistent candle: open ${open}, high ${high}, low ${low}, close ${close}`);
  }

  let volume: number | null = null;
  const v = cols.volume === undefined ? undefined : fields[cols.volume];
  if (v !== undefined && v !== '') {
    if (!DECIMAL.test(v) || !Number.isFinite(Number(v)) || Number(v) < 0)
      return bad('volume', `volume "${v}" is not a finite non-negative number`);
    volume = Number(v);
  }
  return { kind: 'candle', candle: { ts: Math.floor(ts / 60_000) * 60_000, open, high, low, close, volume } };
}

/** A reader fed a file's lines in order: the first understood line decides the layout of the rest. */
export function makeCandleReader(opts: { format?: CsvFormat; now: number }) {
  let layout: Layout | null = null;
  let first = true;
  return {
    get layout() {
      return layout;
    },
    line(raw: string): LineResult {
      const text = (first ? raw.replace(/^\uFEFF/, '') : raw).replace(/\r$/, '');
      if (text.trim() === '') return { kind: 'blank' };
      const fields = splitCsvLine(text);
      const wasFirst = first;
      first = false;
      if (!layout) {
        const l = detectLayout(fields, opts.format);
        if (typeof l === 'string') return bad('format', l);
        // Only the file's first line may be a header; later, a header-like line is a bad data line.
        if (!l.header || wasFirst) layout = l;
        if (l.header)
          return wasFirst
            ? { kind: 'header' }
            : bad(
                'timestamp',
                describeRefusal('timestamp', fields[0] ?? '', 'a header after the first line'),
              );
      }
      return parseCandleFields(fields, layout!, opts.now);
    },
  };
}
