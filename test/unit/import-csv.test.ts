/** The pure parts of the CSV candle import: lines, timestamps, arguments, summary, progress display. */
import { describe, expect, it } from 'vitest';
import { GENESIS_MS } from '../../common/time.ts';
import { makeCandleReader, parseCandleFields, splitCsvLine } from '../../migrations/backfills/candle-csv.ts';
import {
  formatSummary,
  importExitStatus,
  parseImportArgs,
  type ImportOptions,
  type ImportSummary,
} from '../../migrations/backfills/import-csv.ts';
import {
  formatBar,
  formatDuration,
  formatStats,
  makeProgress,
  rates,
} from '../../migrations/backfills/progress.ts';
import type { Clock } from '../../common/types.ts';

const NOW = Date.parse('2025-06-01T00:00:00Z');

describe('splitCsvLine', () => {
  it('splits on commas, trims, and honours quotes', () => {
    expect(splitCsvLine(' a , "b,c" ,"say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
  });
});

describe('parseCandleFields under the positional ohlcv format', () => {
  const layout = makeCandleReader({ format: 'ohlcv', now: NOW });
  layout.line('2024-01-01T00:00:00Z,100,110,90,105');
  const line = (text: string) => parseCandleFields(splitCsvLine(text), layout.layout!, NOW);

  it('uses the close, floors the timestamp to its minute, volume optional', () => {
    expect(line('2024-01-01T00:00:59Z,100,110,90,105,3.5')).toEqual({
      kind: 'candle',
      candle: { ts: Date.UTC(2024, 0, 1), open: 100, high: 110, low: 90, close: 105, volume: 3.5 },
    });
    expect(line('1704067260,1e2,110,90,105')).toMatchObject({
      candle: { ts: Date.UTC(2024, 0, 1, 0, 1), close: 105, volume: null },
    });
    expect(line('"2024-01-01 00:02:00",100,110,90,105,')).toMatchObject({ candle: { volume: null } });
  });

  it('treats blank lines as nothing and accepts a header only as the first line', () => {
    const r = makeCandleReader({ now: NOW });
    expect(r.line('')).toEqual({ kind: 'blank' });
    expect(r.line('  \r')).toEqual({ kind: 'blank' });
    expect(r.line('\uFEFFtimestamp,open,high,low,close,volume')).toEqual({ kind: 'header' });
    expect(r.line('timestamp,open,high,low,close,volume')).toMatchObject({ kind: 'bad', field: 'timestamp' });
  });

  it('rejects each kind of bad row with a reason', () => {
    const cases: [string, string, RegExp][] = [
      ['2024-01-01T00:00:00Z,100,110,90', 'fields', /expected 5 or 6 fields.*got 4/],
      ['2024-01-01T00:00:00Z,100,110,90,105,1,2', 'fields', /got 7/],
      ['2024-31-01T00:00:00Z,100,110,90,105', 'timestamp', /timestamp "2024-31-01T00:00:00Z": no month 31/],
      // Nanoseconds are no unit the reader takes: past 5138 in each it does.
      ['1704067200000000000,100,110,90,105', 'timestamp', /"1704067200000000000": past the year 5138/],
      ['17040672000000000,100,110,90,105', 'timestamp', /2509-12-31.*is in the future/],
      ['4102444800,100,110,90,105', 'timestamp', /2100-01-01.*in the future/],
      ['1230000000,100,110,90,105', 'timestamp', /2008-12-23.*before Bitcoin existed/],
      ['2024-01-01T00:00:00Z,100,110,90,NaN', 'close', /close "NaN" is not a number/],
      ['2024-01-01T00:00:00Z,100,110,90,Infinity', 'close', /not a number/],
      ['2024-01-01T00:00:00Z,100,110,90,1e999', 'close', /close 1e999 is not finite/],
      ['2024-01-01T00:00:00Z,100,110,90,', 'close', /close "" is not a number/],
      ['2024-01-01T00:00:00Z,0,110,90,105', 'open', /open 0 is not positive/],
      ['2024-01-01T00:00:00Z,100,110,-90,105', 'low', /not positive/],
      ['2024-01-01T00:00:00Z,100,110,90,0x10', 'close', /not a number/],
      ['2024-01-01T00:00:00Z,100,110,90,120', 'candle', /inconsistent candle/],
      ['2024-01-01T00:00:00Z,100,90,110,100', 'candle', /inconsistent candle/],
      ['2024-01-01T00:00:00Z,100,110,90,105,-1', 'volume', /volume "-1"/],
    ];
    for (const [text, field, reason] of cases) {
      const r = line(text);
      expect(r, text).toMatchObject({ kind: 'bad', field });
      expect(r.kind === 'bad' && r.reason, text).toMatch(reason);
    }
    expect(GENESIS_MS).toBe(Date.UTC(2009, 0, 3));
  });
});

describe('parseImportArgs', () => {
  it('reads the options, upper-casing the currency', () => {
    expect(
      parseImportArgs(['--file', 'a.csv', '--source', 'binance-1m', '--currency', 'usd', '--allow-skips']),
    ).toEqual({
      file: 'a.csv',
      source: 'binance-1m',
      currency: 'USD',
      allowSkips: true,
      batchSize: 10_000,
    });
  });

  it('reports every problem at once', () => {
    const r = parseImportArgs(['--source', 'Bad Name', '--currency', 'US$', '--batch-size', '0']);
    expect('errors' in r && r.errors).toEqual([
      '--file is required',
      '--source "Bad Name": use lower-case letters, digits, _ . - (at most 64)',
      '--currency "US$" is not a currency code',
      '--batch-size must be a whole number from 1 to 1000000, got "0"',
    ]);
    expect(parseImportArgs(['--file', 'a', '--source', 'coinbase', '--currency', 'USD'])).toEqual({
      errors: ['--source "coinbase" is a polled source; file imports under a name of their own'],
    });
    expect(
      parseImportArgs(['--file', 'a', '--source', 'k', '--currency', 'USD', '--format', 'kraken']),
    ).toMatchObject({ format: 'kraken' });
    expect(parseImportArgs(['--file', 'a', '--source', 'k', '--currency', 'USD', '--format', 'xls'])).toEqual(
      {
        errors: ['--format "xls": use one of kraken, binance, ohlcv, header'],
      },
    );
    expect(parseImportArgs(['--nope'])).toMatchObject({ errors: [expect.stringMatching(/Unknown option/)] });
  });
});

describe('summary and exit status', () => {
  const opts: ImportOptions = {
    file: 'a.csv',
    source: 's',
    currency: 'USD',
    allowSkips: false,
    batchSize: 10,
  };
  const summary: ImportSummary = {
    format: 'format kraken (detected): Kraken OHLCVT (time, open, high, low, close, volume, trades)',
    lines: 11,
    header: true,
    imported: 8,
    skipped: 2,
    skippedBy: { close: 1, timestamp: 1 },
    firstBad: 'line 3: close "x" is not a number',
    firstTs: Date.UTC(2024, 0, 1),
    lastTs: Date.UTC(2024, 0, 1, 0, 7),
    elapsedMs: 2_000,
  };
  it('is non-zero when lines were skipped, unless allowed', () => {
    expect(importExitStatus(summary, false)).toBe(1);
    expect(importExitStatus(summary, true)).toBe(0);
    expect(importExitStatus({ ...summary, skipped: 0, skippedBy: {} }, false)).toBe(0);
  });

  it('is non-zero when no row was usable, even with --allow-skips', () => {
    expect(importExitStatus({ ...summary, imported: 0 }, true)).toBe(1);
    expect(importExitStatus({ ...summary, imported: 0, skipped: 0, skippedBy: {} }, true)).toBe(1);
  });

  it('says what was read, imported and skipped, and over which range', () => {
    const text = formatSummary(opts, summary);
    expect(text).toContain('read as      format kraken (detected)');
    expect(text).toContain('lines read   11 (first is a header)');
    expect(text).toContain('skipped      2 (1 close, 1 timestamp)');
    expect(text).toContain('2024-01-01T00:00:00.000Z .. 2024-01-01T00:07:00.000Z');
    expect(text).toContain('(4 rows/s)');
  });
});

describe('progress display', () => {
  const s = { done: 250, total: 1000, rows: 5000, skipped: 0, elapsedMs: 10_000 };
  it('computes rows/s and the ETA from the bytes consumed', () => {
    expect(rates(s)).toEqual({ rowsPerSec: 500, etaMs: 30_000, fraction: 0.25 });
    expect(rates({ ...s, done: 0 }).etaMs).toBeNull();
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(65_000)).toBe('1:05');
  });

  it('formats a bar that fits the terminal', () => {
    expect(formatStats({ ...s, skipped: 3 })).toBe(
      ' 25.0%  5,000 rows written  500 rows/s  ETA 0:30  3 skipped',
    );
    const bar = formatBar(s, 80);
    expect(bar.length).toBeLessThan(80);
    expect(bar).toMatch(/^\[#+-+\] {2}25\.0%/);
  });

  it('redraws in place on a TTY and prints paced plain lines otherwise', () => {
    let now = 0;
    const clock: Clock = { now: () => now, sleep: async () => {} };
    const tty: string[] = [];
    const p = makeProgress({ write: (x: string) => tty.push(x), isTTY: true, columns: 100 }, clock);
    p.update(s);
    p.note('line 3: bad');
    p.update(s);
    p.done(s);
    expect(tty[0]).toMatch(/^\r\[/);
    expect(tty.slice(1, 3)).toEqual(['\r\x1b[K', 'line 3: bad\n']);
    expect(tty.at(-1)).toBe('\n');

    const plain: string[] = [];
    const q = makeProgress({ write: (x: string) => plain.push(x) }, clock, { plainEveryMs: 1_000 });
    q.update(s); // nothing yet at the start: the first line comes after a period
    now = 500;
    q.update(s);
    now = 1_000;
    q.update(s);
    now = 1_500;
    q.update(s);
    now = 2_000;
    q.update(s);
    expect(plain).toEqual([`progress: ${formatStats(s)}\n`, `progress: ${formatStats(s)}\n`]);
  });
});
