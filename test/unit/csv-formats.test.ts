/** The one CSV reader of import-csv and backtest --csv: detection, parsing and refusal of each format. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  describeLayout,
  makeCandleReader,
  parseFormat,
  type Candle,
  type CsvFormat,
  type LineResult,
} from '../../migrations/backfills/candle-csv.ts';
import { parseCloses } from '../../forecast/closes.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/csv/${name}`, import.meta.url), 'utf8');

/** Every line of a fixture through one reader: the results and the layout it settled on. */
function read(name: string, format?: CsvFormat) {
  const reader = makeCandleReader({ format, now: NOW });
  const results: LineResult[] = fixture(name)
    .split('\n')
    .map((l) => reader.line(l))
    .filter((r) => r.kind !== 'blank');
  const candles = results.flatMap((r) => (r.kind === 'candle' ? [r.candle] : []));
  return { layout: reader.layout, results, candles };
}

const at = (m: number, base = Date.UTC(2023, 2, 1)) => base + m * 60_000;

describe('format detection and parsing', () => {
  it('reads Kraken OHLCVT (7 columns, Unix seconds) as it is, gaps kept', () => {
    const { layout, results, candles } = read('kraken-ohlcvt.csv');
    expect(layout).toMatchObject({ format: 'kraken', detected: true, header: false });
    expect(results.every((r) => r.kind === 'candle')).toBe(true);
    // Minutes 0, 1, 4 and 9 only: nothing is filled in between.
    expect(candles.map((c) => c.ts)).toEqual([0, 1, 4, 9].map((m) => at(m)));
    expect(candles[0]).toEqual<Candle>({
      ts: at(0),
      open: 23140.5,
      high: 23150.0,
      low: 23130.1,
      close: 23142.3,
      volume: 0.0142,
    });
  });

  it('reads Binance klines (12 columns) with open times in milliseconds or microseconds', () => {
    const ms = read('binance-klines-ms.csv');
    expect(ms.layout?.format).toBe('binance');
    expect(ms.candles.map((c) => [c.ts, c.close])).toEqual([
      [at(0), 23214.62],
      [at(1), 23210.08],
      [at(2), 23225.86],
    ]);
    const us = read('binance-klines-us.csv');
    expect(us.layout?.format).toBe('binance');
    expect(us.candles.map((c) => [c.ts, c.close, c.volume])).toEqual([
      [Date.UTC(2025, 0, 1, 0, 0), 93610.93, 8.21827],
      [Date.UTC(2025, 0, 1, 0, 1), 93622.51, 3.03],
    ]);
  });

  it('reads time,open,high,low,close,volume without a header', () => {
    const { layout, candles } = read('ohlcv.csv');
    expect(layout).toMatchObject({ format: 'ohlcv', header: false });
    expect(candles.map((c) => [c.ts, c.open, c.close, c.volume])).toEqual([
      [at(0), 23211.05, 23214.62, 1.907345],
      [at(1), 23213.9, 23210.08, 0.765212],
    ]);
  });

  it('reads a header naming the columns in any order, ignoring columns it does not know', () => {
    const { layout, results, candles } = read('header-reordered.csv');
    expect(layout).toMatchObject({ format: 'header', header: true });
    expect(results[0]).toEqual({ kind: 'header' });
    expect(candles[1]).toEqual<Candle>({
      ts: at(1),
      open: 23213.9,
      high: 23222.3,
      low: 23208.44,
      close: 23210.08,
      volume: 0.77,
    });
  });

  it('reads a minimal timestamp,close header and a headerless time,close file', () => {
    const { layout, candles } = read('closes.csv');
    expect(layout?.format).toBe('header');
    expect(candles.map((c) => [c.ts, c.close, c.open])).toEqual([
      [at(0), 23214.62, null],
      [at(1), 23210.08, null],
      [at(2), 23225.86, null],
    ]);
    const r = makeCandleReader({ now: NOW });
    expect(r.line('1677628800,23214.62')).toMatchObject({ kind: 'candle', candle: { ts: at(0) } });
    expect(r.layout?.format).toBe('ohlcv');
  });

  it('reads a pandas header whose first column, the index, has no name', () => {
    const r = makeCandleReader({ now: NOW });
    expect(r.line(',time,open,high,low,close,volume')).toEqual({ kind: 'header' });
    expect(r.line('0,1677628800,1,3,0.5,2,7')).toMatchObject({
      kind: 'candle',
      candle: { ts: at(0), close: 2 },
    });
    expect(r.layout?.format).toBe('header');
  });

  it('keeps a header of other names over positional candle columns (today’s files)', () => {
    const r = makeCandleReader({ now: NOW });
    expect(r.line('\uFEFFDate,O,H,L,C')).toEqual({ kind: 'header' });
    expect(r.layout).toMatchObject({ format: 'ohlcv', header: true });
    expect(r.line('2024-01-01T00:00:00Z,100,110,90,105')).toMatchObject({ candle: { close: 105 } });
  });

  it('refuses a garbage file line by line: no layout, no candle', () => {
    const { layout, results, candles } = read('garbage.csv');
    expect(layout).toBeNull();
    expect(candles).toEqual([]);
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ kind: 'bad', field: 'format', reason: /unrecognized header/ });
    expect(results.slice(1).every((r) => r.kind === 'bad')).toBe(true);
  });

  it('refuses an impossible time on the first line as a bad line, not as a header to skip', () => {
    const r = makeCandleReader({ now: NOW });
    expect(r.line('2024-02-30T00:00Z,100,110,90,105')).toMatchObject({ kind: 'bad', field: 'timestamp' });
    expect(r.line('2024-03-01T00:01Z,100,110,90,105')).toMatchObject({ kind: 'candle' });
    expect(r.layout).toMatchObject({ format: 'ohlcv', header: false });
  });

  it('under a header, takes a row that leaves out trailing optional columns, not one missing the close', () => {
    const r = makeCandleReader({ now: NOW });
    r.line('timestamp,open,high,low,close,volume');
    expect(r.line('2024-01-01T00:00:00Z,100,110,90,105')).toMatchObject({
      candle: { close: 105, volume: null },
    });
    expect(r.line('2024-01-01T00:01:00Z,100,110,90')).toMatchObject({ kind: 'bad', field: 'fields' });
    expect(r.line('2024-01-01T00:02:00Z,100,110,90,105,1,7')).toMatchObject({ kind: 'bad', field: 'fields' });
  });

  it('rejects rows of the wrong width for the detected format, and a header after the first line', () => {
    const r = makeCandleReader({ now: NOW });
    r.line('1677628800,1,2,0.5,1.5,0.1,3');
    expect(r.line('1677628860,1,2,0.5,1.5,0.1')).toMatchObject({
      kind: 'bad',
      field: 'fields',
      reason: 'expected 7 fields (Kraken OHLCVT), got 6',
    });
    expect(r.line('time,open,high,low,close,volume,trades')).toMatchObject({
      kind: 'bad',
      field: 'timestamp',
    });
  });

  it('--format forces a format; a file that does not fit it is refused', () => {
    expect(read('kraken-ohlcvt.csv', 'kraken').layout).toMatchObject({ format: 'kraken', detected: false });
    const wrong = read('kraken-ohlcvt.csv', 'binance');
    expect(wrong.candles).toEqual([]);
    expect(wrong.results[0]).toMatchObject({ field: 'fields', reason: /expected 12 fields/ });
    expect(read('kraken-ohlcvt.csv', 'header').results[0]).toMatchObject({ field: 'format' });
    // A forced positional format skips a header line.
    expect(read('ohlcv.csv', 'ohlcv').candles).toHaveLength(2);
    expect(read('closes.csv', 'ohlcv').results[0]).toEqual({ kind: 'header' });
  });

  it('describes the layout in one line', () => {
    expect(describeLayout(read('kraken-ohlcvt.csv').layout!)).toBe(
      'format kraken (detected): Kraken OHLCVT (time, open, high, low, close, volume, trades)',
    );
    expect(describeLayout(read('header-reordered.csv').layout!)).toBe(
      'format header (detected): columns named by the header (close, volume, open_time, low, high, open), header skipped',
    );
    expect(describeLayout(read('closes.csv', 'header').layout!)).toMatch(
      /^format header \(forced\): .*, header skipped$/,
    );
  });
});

describe('parseFormat', () => {
  it('takes the four names, any case, and refuses anything else', () => {
    expect(parseFormat('Kraken')).toBe('kraken');
    expect(parseFormat('binance')).toBe('binance');
    expect(parseFormat('csv')).toEqual({
      error: '--format "csv": use one of kraken, binance, ohlcv, header',
    });
  });
});

describe('parseCloses on each format', () => {
  it('gives the same closes from the same candles in every format', () => {
    const closes = (name: string) => [...parseCloses(fixture(name), name, { now: NOW }).series.y];
    expect(closes('binance-klines-ms.csv')).toEqual(closes('closes.csv'));
    expect(closes('ohlcv.csv')).toEqual(closes('header-reordered.csv'));
    const k = parseCloses(fixture('kraken-ohlcvt.csv'), 'k', { now: NOW });
    expect(k.layout?.format).toBe('kraken');
    expect([...k.series.t]).toEqual([0, 1, 4, 9].map((m) => at(m)));
  });

  it('reports a garbage file as bad lines with reasons and no closes', () => {
    const g = parseCloses(fixture('garbage.csv'), 'g', { now: NOW });
    expect(g.series.t.length).toBe(0);
    expect(g.layout).toBeNull();
    expect(g.bad.map((b) => b.line)).toEqual([1, 2, 3]);
  });
});
