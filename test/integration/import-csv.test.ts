/**
 * The CSV candle import end to end: a file with good, bad, duplicate and out-of-order lines into the real QuestDB,
 * Kraken and Binance files by detection, and a garbage file refused with nothing written.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { makeDb } from '../../sql/db.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { importExitStatus, runImportCsv } from '../../migrations/backfills/import-csv.ts';
import { TEST_ENV, testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 1);
const dir = mkdtempSync(join(tmpdir(), 'import-csv-'));
afterAll(async () => {
  await db.end();
  rmSync(dir, { recursive: true, force: true });
});

const MIN = 60_000;
const T0 = Date.UTC(2022, 5, 30, 23, 0); // an hour before midnight

/** 120 good minutes in three timestamp notations, out of order in places, plus bad and duplicate lines. */
function candleFile(): { text: string; expected: Map<number, number>; badLines: number[] } {
  const lines = ['timestamp,open,high,low,close,volume'];
  const expected = new Map<number, number>();
  const badLines: number[] = [];
  const notation = [
    (ms: number) => new Date(ms).toISOString(),
    (ms: number) => String(ms / 1000),
    (ms: number) => String(ms),
  ];
  for (let i = 0; i < 120; i++) {
    // Swap neighbours every 10 minutes: order in the file does not matter.
    const minute = i % 10 === 0 && i > 0 ? i - 1 : i % 10 === 9 ? i + 1 : i;
    const ts = T0 + Math.min(minute, 119) * MIN;
    const close = 30_000 + i * 1.5 + 0.25;
    lines.push(`${notation[i % 3]!(ts)},${close - 1},${close + 2},${close - 3},${close},${i}`);
    expected.set(ts, close);
    if (i === 30) {
      badLines.push(lines.length + 1);
      lines.push(`${new Date(ts).toISOString()},1,2,0.5,NaN,1`);
      badLines.push(lines.length + 1);
      lines.push(`2022-06-31T00:00:00Z,1,2,0.5,1,1`);
      badLines.push(lines.length + 1);
      lines.push(`${ts},1,2,0.5`);
      badLines.push(lines.length + 1);
      lines.push(`${ts},1,2,0.5,-1`);
      lines.push('');
    }
  }
  // The same minute again, later in the file (and in a later batch): it replaces the first.
  lines.push(`${new Date(T0 + 5 * MIN + 30_000).toISOString()},40000,40010,39990,40001.5`);
  expected.set(T0 + 5 * MIN, 40_001.5);
  return { text: lines.join('\r\n') + '\r\n', expected, badLines };
}

async function storedRates(source: string): Promise<Map<number, number>> {
  const rows = await db.query<{ ts: Date; rate: number }>(
    'SELECT ts, rate FROM rates WHERE source = $1 AND currency = $2 ORDER BY ts',
    [source, 'USD'],
  );
  return new Map(rows.map((r) => [r.ts.getTime(), r.rate]));
}

describe('import-csv', () => {
  it('imports the good lines, reports each bad one by line number, and upserts the source', async () => {
    const source = `test-csv-${randomUUID().slice(0, 8)}`;
    const file = join(dir, 'candles.csv');
    const { text, expected, badLines } = candleFile();
    writeFileSync(file, text);
    const out: string[] = [];
    const ilp = await makeIlp(config);
    const summary = await runImportCsv(
      { file, source, currency: 'USD', allowSkips: false, batchSize: 50 },
      { ilp, clock: systemClock, out: { write: (s: string) => out.push(s) } },
    ).finally(() => ilp.close());

    expect(summary).toMatchObject({
      header: true,
      imported: 121,
      skipped: 4,
      skippedBy: { close: 2, timestamp: 1, fields: 1 },
      firstTs: T0,
      lastTs: T0 + 119 * MIN,
    });
    expect(importExitStatus(summary, false)).toBe(1);
    expect(importExitStatus(summary, true)).toBe(0);
    const notes = out.filter((l) => l.startsWith('line '));
    expect(notes.map((l) => Number(/^line (\d+):/.exec(l)?.[1]))).toEqual(badLines);
    expect(out.at(-1)).toMatch(/^progress: 100\.0% {2}121 rows/);

    await waitFor(async () => (await storedRates(source)).size === expected.size, 20_000, 'imported rows');
    expect(await storedRates(source)).toEqual(expected);
    const [row] = await db.query<{ kind: string; url_template: string }>(
      'SELECT kind, url_template FROM sources WHERE id = $1',
      [source],
    );
    expect(row).toEqual({ kind: 'csv', url_template: 'file:candles.csv' });
  });

  it('runs from the backfill command, exiting non-zero on skipped lines unless --allow-skips', () => {
    const source = `test-csv-${randomUUID().slice(0, 8)}`;
    const file = join(dir, 'small.csv');
    writeFileSync(file, '2022-07-01T00:00:00Z,1,2,0.5,1.5\n2022-07-01T00:01:00Z,1,2,0.5,oops\n');
    const run = (...extra: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'migrations/backfill.ts',
          'import-csv',
          '--file',
          file,
          '--source',
          source,
          '--currency',
          'usd',
          ...extra,
        ],
        { env: { ...process.env, ...TEST_ENV }, encoding: 'utf8' },
      );
    const strict = run();
    expect(strict.stderr).toContain('line 2: close "oops" is not a number');
    expect(strict.stdout).toContain('imported     1');
    expect(strict.status).toBe(1);
    expect(run('--allow-skips').status).toBe(0);
    expect(run('--source', 'blockchain').status).toBe(2);
  });

  describe('files as the venues publish them', () => {
    const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/csv/${name}`, import.meta.url));
    const importFile = (file: string, source: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'migrations/backfill.ts',
          'import-csv',
          '--file',
          file,
          '--source',
          source,
          '--currency',
          'USD',
        ],
        { env: { ...process.env, ...TEST_ENV }, encoding: 'utf8' },
      );
    /** The closes of a fixture by minute, read here independently of the importer. */
    const closes = (name: string, column: number, unit: number) =>
      new Map(
        readFileSync(fixture(name), 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split(','))
          .map((f) => [Math.floor(Number(f[0]) / unit / MIN) * MIN, Number(f[column])] as const),
      );

    it('imports Kraken’s OHLCVT export as it is, gaps kept, and prints the detected format', async () => {
      const source = `test-kraken-${randomUUID().slice(0, 8)}`;
      const r = importFile(fixture('kraken-ohlcvt.csv'), source);
      expect(r.stdout).toContain('format kraken (detected)');
      expect(r.stdout).toContain('imported     4');
      expect(r.status).toBe(0);
      const expected = closes('kraken-ohlcvt.csv', 4, 1e-3);
      await waitFor(async () => (await storedRates(source)).size === 4, 20_000, 'kraken rows');
      expect(await storedRates(source)).toEqual(expected);
    });

    it('imports a Binance kline file and prints the detected format', async () => {
      const source = `test-binance-${randomUUID().slice(0, 8)}`;
      const r = importFile(fixture('binance-klines-ms.csv'), source);
      expect(r.stdout).toContain('format binance (detected)');
      expect(r.status).toBe(0);
      const expected = closes('binance-klines-ms.csv', 4, 1);
      await waitFor(async () => (await storedRates(source)).size === 3, 20_000, 'binance rows');
      expect(await storedRates(source)).toEqual(expected);
    });

    it('refuses a file of garbage: non-zero exit, the file and the reason, nothing written or registered', async () => {
      const source = `test-garbage-${randomUUID().slice(0, 8)}`;
      const file = fixture('garbage.csv');
      const r = importFile(file, source);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`import-csv: ${file}: no usable row: every data line was refused (`);
      expect(r.stdout).toContain('imported     0');
      // The importer has exited, its ILP sender closed: anything it wrote would be visible now.
      expect((await storedRates(source)).size).toBe(0);
      expect(await db.query('SELECT id FROM sources WHERE id = $1', [source])).toEqual([]);
    });
  });
});
