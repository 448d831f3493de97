/**
 * The backtest's edges that need no database: reading a closes file (bad lines by number), the command line,
 * the production choice from backtest rows, the printed table, and a whole CLI run on a file without storing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  originGrid,
  type BacktestResult,
  type BacktestRow,
  type TimeSeries,
} from '../../../forecast/backtest.ts';
import { parseBacktestArgs, runBacktestCli, type CliOptions } from '../../../forecast/backtest-cli.ts';
import { describeRow, formatAccounting } from '../../../forecast/backtest-report.ts';
import { makeRunId, trackingSeries } from '../../../forecast/backtest-store.ts';
import { countByField, parseCloses } from '../../../forecast/closes.ts';
import { dieboldMariano } from '../../../forecast/dm.ts';
import { recommendModel } from '../../../forecast/selection.ts';
import { makeLeadLag } from '../../../forecast/synthetic.ts';

describe('parseCloses', () => {
  it('reads a closes file through the candle reader, reporting bad ones by line number and reason', () => {
    const text = [
      'timestamp,close',
      '2023-03-01 00:00:00+00:00,1.5',
      '2023-03-01T00:01:30Z,1.6',
      'yesterday,1.7',
      '2023-03-01T00:02:00Z,-4',
      '2023-03-01T00:01:00Z,1.8',
      '2023-03-01T00:03:00Z,1,2',
      '',
      '1677629040,1.9',
    ].join('\n');
    const p = parseCloses(text, 'f');
    expect(p.header).toBe(true);
    expect(p.layout?.format).toBe('header');
    expect(p.lines).toBe(9);
    // Line 6 gives line 3's minute again: the later line is used, as import-csv's DEDUP would.
    expect([...p.series.y]).toEqual([1.5, 1.8, 1.9]);
    expect([...p.series.t]).toEqual([0, 1, 4].map((m) => Date.UTC(2023, 2, 1, 0, m)));
    expect(p.bad.map((b) => [b.line, b.field])).toEqual([
      [3, 'repeat'],
      [4, 'timestamp'],
      [5, 'close'],
      [7, 'fields'],
    ]);
    expect(p.bad[0]!.reason).toBe('its minute is given again on line 6');
    expect(p.bad[1]!.reason).toMatch(/not an ISO 8601 date or time/);
    expect(p.bad[2]!.reason).toMatch(/close -4 is not positive/);
    expect(p.bad[3]!.reason).toMatch(/expected 2 fields/);
    expect(countByField(p.bad)).toBe('1 repeat, 1 timestamp, 1 close, 1 fields');
  });

  it('reads a file in any order, newest first too, and refuses a row a day past now', () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${Date.UTC(2023, 2, 1, 0, i) / 1000},${100 + i}`);
    const newestFirst = parseCloses(['time,close', ...rows.reverse()].join('\n'), 'f');
    expect(newestFirst.bad).toEqual([]);
    expect([...newestFirst.series.y]).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i));
    const now = Date.UTC(2023, 2, 2);
    const ahead = parseCloses(['time,close', '9999-12-31,5', ...rows].join('\n'), 'f', { now });
    expect(ahead.series.t.length).toBe(50);
    expect(ahead.bad).toMatchObject([
      { line: 2, field: 'timestamp', reason: expect.stringMatching(/in the future/) },
    ]);
  });
});

describe('parseBacktestArgs', () => {
  it('reads the three modes and reports every problem at once', () => {
    const q = parseBacktestArgs(
      '--source blockchain --currency usd --from 2026-01-01 --to 2026-01-08 --related auto --stride 3'.split(
        ' ',
      ),
    );
    expect(q).toMatchObject({
      mode: 'questdb',
      currency: 'USD',
      from: Date.UTC(2026, 0, 1),
      related: 'auto',
      stride: 3,
      store: true,
    });
    expect(
      parseBacktestArgs(['--csv', 'f.csv', '--no-store', '--models', 'persistence,gp-wiener']),
    ).toMatchObject({
      mode: 'csv',
      source: 'csv',
      currency: 'USD',
      store: false,
      models: ['persistence', 'gp-wiener'],
    });
    expect(parseBacktestArgs(['--synthetic', 'lead-lag'])).toMatchObject({
      mode: 'synthetic',
      minutes: 2880,
    });
    const bad = parseBacktestArgs(['--from', 'soon', '--stride', '0', '--models', 'gp-magic']);
    expect('errors' in bad && bad.errors).toEqual([
      '--from "soon": not an ISO 8601 date or time (such as 2031-01-05 or 2031-01-05T10:30Z)',
      '--to is required',
      '--source is required (or --csv FILE, or --synthetic lead-lag)',
      '--currency is required',
      expect.stringMatching(/unknown model "gp-magic"/),
      '--stride must be a whole number from 1 to 10080, got "0"',
    ]);
    const huge = ['--synthetic', 'lead-lag', '--minutes', '9007199254740991', '--horizons', '1,1441'];
    expect(parseBacktestArgs(huge)).toEqual({
      errors: [
        '--horizons must be a whole number from 1 to 1440, got "1441"',
        '--minutes must be a whole number from 120 to 525600, got "9007199254740991"',
      ],
    });
  });

  it('refuses an impossible date naming the flag, and reads --help', () => {
    const r = parseBacktestArgs([
      '--source',
      's',
      '--currency',
      'USD',
      '--from',
      '2031-02-30',
      '--to',
      '2031-03-05',
    ]);
    expect(r).toEqual({ errors: ['--from "2031-02-30": no such date: February 2031 has 28 days'] });
    expect(parseBacktestArgs(['--help'])).toMatchObject({ help: true });
    expect(parseBacktestArgs(['-h', '--what'])).toMatchObject({ errors: [expect.stringMatching(/what/)] });
  });
});

const row = (model: string, horizon: number, ratio: number, stat: number, p: number, coverage90 = 0.9) =>
  ({
    model,
    horizon,
    origins: 1000,
    rmse: ratio,
    ratio,
    dm: { ...dieboldMariano([0, 0], { lag: 0 }), stat, p },
    coverage50: 0.5,
    coverage90,
    width90: 1,
    fitMs: 1,
    failures: 0,
  }) satisfies BacktestRow;

describe('recommendModel', () => {
  const week = 8 * 86_400_000;
  const base = [1, 5].flatMap((h) => [
    row('persistence', h, 1, 0, 1),
    row('gp-wiener', h, 1.0001, 2.5, 0.01),
  ]);

  it('keeps the persistence-equivalent GP unless a candidate wins significantly at every horizon', () => {
    const winner = [row('gp-icm', 1, 0.6, -8, 1e-9), row('gp-icm', 5, 0.9, -3, 0.003)];
    expect(recommendModel([...base, ...winner], week).model).toBe('gp-icm');
    const partial = [row('gp-icm', 1, 0.6, -8, 1e-9), row('gp-icm', 5, 0.99, -1, 0.3)];
    expect(recommendModel([...base, ...partial], week)).toMatchObject({
      model: 'gp-wiener',
      reason: expect.stringMatching(/no candidate beat persistence/),
    });
    const overconfident = [row('gp-icm', 1, 0.6, -8, 1e-9, 0.7), row('gp-icm', 5, 0.9, -3, 0.003, 0.7)];
    expect(recommendModel([...base, ...overconfident], week).model).toBe('gp-wiener');
  });

  it('never chooses from a short span, and falls back to persistence when the GP is clearly worse', () => {
    const winner = [row('gp-icm', 1, 0.6, -8, 1e-9), row('gp-icm', 5, 0.9, -3, 0.003)];
    expect(recommendModel([...base, ...winner], 86_400_000)).toMatchObject({
      model: 'gp-wiener',
      reason: expect.stringMatching(/too short/),
    });
    const worse = [1, 5].map((h) => row('gp-wiener', h, 1.05, 3, 0.001));
    expect(recommendModel(worse, week).model).toBe('persistence');
  });

  it("counts the daily job's week of origins as a week: first to last is a week less one stride", () => {
    const [DAY, end] = [86_400_000, Date.UTC(2031, 2, 10)];
    const t = Float64Array.from({ length: 9 * 1440 }, (_, i) => end - 8 * DAY + i * 60_000);
    const grid = originGrid(t, {
      windowMinutes: 60,
      minHorizon: 10,
      stride: 5,
      from: end - 7 * DAY,
      to: end,
    });
    const span = (grid.count - 1) * grid.step;
    expect(span).toBe(7 * DAY - 5 * 60_000);
    const winner = [row('gp-icm', 1, 0.6, -8, 1e-9), row('gp-icm', 5, 0.9, -3, 0.003)];
    expect(recommendModel([...base, ...winner], span).model).toBe('gp-icm');
    expect(recommendModel([...base, ...winner], 6.9 * DAY).reason).toMatch(
      /^6\.9 days of origins is too short/,
    );
  });
});

describe('report', () => {
  it('says better or worse only when significant, and notes negligible differences', () => {
    expect(describeRow(row('persistence', 1, 1, 0, 1))).toBe('baseline');
    expect(describeRow(row('gp-icm', 1, 0.6, -8, 1e-9))).toBe('BEATS persistence');
    expect(describeRow(row('gp-rbf', 1, 1.2, 5, 1e-6))).toBe('WORSE than persistence');
    expect(describeRow(row('gp-wiener', 1, 1.0001, 2.5, 0.01))).toBe('sig. worse but negligible');
    expect(describeRow(row('gp-wiener', 1, 1.01, 1, 0.3))).toBe('no sig. diff.');
    expect(makeRunId(Date.UTC(2026, 0, 27, 20, 13, 5), () => 0.5)).toBe('bt-20260127T201305Z-8000');
  });
});

describe('runBacktestCli', () => {
  /** When the run happens: the files' minutes (2030) are in its past. */
  const RUN_AT = Date.UTC(2031, 0, 1);

  it('backtests a file of closes without a database and prints the table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));
    const file = join(dir, 'closes.csv');
    let v = 100;
    const lines = ['ts,close'];
    for (let i = 0; i < 150; i++)
      lines.push(`${Date.UTC(2030, 0, 1, 0, i) / 1000},${(v += Math.sin(i * 2.3))}`);
    lines.splice(40, 0, 'oops,1');
    writeFileSync(file, lines.join('\n'));
    const opts = parseBacktestArgs([
      '--csv',
      file,
      '--no-store',
      '--models',
      'persistence,gp-wiener',
    ]) as CliOptions;
    let out = '';
    let err = '';
    const status = await runBacktestCli(opts, {
      db: null,
      ilp: null,
      out: { write: (s: string) => (out += s) },
      err: { write: (s: string) => (err += s) },
      now: RUN_AT,
    });
    expect(status).toBe(0);
    expect(err).toContain('closes.csv:41: skipped');
    expect(err).toContain(
      `${file}: format header (detected): columns named by the header (ts, close), header skipped\n`,
    );
    expect(err).toContain('150 closes, 1 skipped (1 timestamp)');
    // The 5-minute grid of the epoch, from the first full window (00:59) to the last +1 target (02:29).
    expect(out).toMatch(/csv\/USD\n {2}origins 2030-01-01T01:00Z .. 2030-01-01T02:25Z: 18 every 5 min/);
    expect(out).toContain('+1 min: scored 18 of 18 origins\n');
    expect(out).toContain('+10 min: scored 16 of 18 origins; not scored: 2 no rate at the target minute\n');
    expect(out).toMatch(/gp-wiener +10 +\d+/);
    expect(out).toContain('production choice: ');
  });

  it('exits 1 storing nothing when no origin can be scored: a file too short, or a range beside the data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));
    const file = join(dir, 'short.csv');
    const closes = (n: number) =>
      Array.from({ length: n }, (_, i) => `${Date.UTC(2030, 0, 1, 0, i) / 1000},${100 + i}`);
    const run = async (rows: string[], ...args: string[]) => {
      writeFileSync(file, ['time,close', ...rows].join('\n'));
      let out = '';
      let err = '';
      const opts = parseBacktestArgs(['--csv', file, '--no-store', ...args]) as CliOptions;
      const deps = { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } };
      return { status: await runBacktestCli(opts, { db: null, ilp: null, ...deps, now: RUN_AT }), out, err };
    };
    const short = await run(closes(4));
    expect(short.status).toBe(1);
    expect(short.err).toMatch(/csv\/USD: no origin could be scored \(4 closes read, horizons up to 10 min/);
    expect(short.out).toBe('');
    const beside = await run(closes(150), '--from', '2031-01-01', '--to', '2031-01-02');
    expect(beside.status).toBe(1);
    expect(beside.err).toMatch(/no origin could be scored/);
    // A row far ahead of the run is refused, not taken as the end of the series.
    const ahead = await run([...closes(150), '9999-12-31T00:00Z,1'], '--models', 'persistence');
    expect(ahead.err).toMatch(/short\.csv:152: skipped: 9999-12-31T00:00:00\.000Z is in the future/);
    expect(ahead.status).toBe(0);
  });

  it('gives gp-icm the series of --related files, named by file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));
    const [leader, follower] = makeLeadLag({ minutes: 240, seed: 5 });
    const write = (name: string, s: TimeSeries) => {
      const file = join(dir, name);
      const rows = Array.from(s.t, (t, i) => `${t / 1000},${s.y[i]}`);
      writeFileSync(file, ['time,close', ...rows].join('\n'));
      return file;
    };
    const args = ['--csv', write('follower.csv', follower!), '--related', write('leader.csv', leader!)];
    const opts = parseBacktestArgs([...args, '--no-store', '--stride', '10']) as CliOptions;
    let out = '';
    const io = { write: () => true };
    const deps = { db: null, ilp: null, out: { write: (s: string) => (out += s) }, err: io, now: RUN_AT };
    expect(await runBacktestCli(opts, deps)).toBe(0);
    expect(out).toContain('csv/USD (related: leader.csv)');
    expect(out).toMatch(/gp-icm over \d+ windows: leader\.csv in \d/);
    expect(parseBacktestArgs(['--synthetic', 'lead-lag', '--related', 'x'])).toEqual({
      errors: ['--related is for QuestDB series or --csv files'],
    });
    expect(parseBacktestArgs([...args, '--derive-sources'])).toEqual({
      errors: ['give --derive-sources or --related, not both'],
    });
  }, 30_000);

  it('refuses a file with no usable row, naming it and why, and a bad --format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-cli-'));
    const file = join(dir, 'junk.csv');
    writeFileSync(file, 'hello world\n<html>\n');
    const opts = parseBacktestArgs(['--csv', file, '--no-store']) as CliOptions;
    const io = { write: () => true };
    await expect(
      runBacktestCli(opts, { db: null, ilp: null, out: io, err: io, now: RUN_AT }),
    ).rejects.toThrow(
      `${file}: no usable row: every data line was refused (2 format; first, line 1: unrecognized header`,
    );
    expect(parseBacktestArgs(['--csv', file, '--format', 'kraken'])).toMatchObject({ format: 'kraken' });
    expect(parseBacktestArgs(['--csv', file, '--format', 'tsv'])).toEqual({
      errors: ['--format "tsv": use one of kraken, binance, ohlcv, header'],
    });
    expect(parseBacktestArgs(['--synthetic', 'lead-lag', '--format', 'kraken'])).toEqual({
      errors: ['--format needs --csv'],
    });
  });
});

describe('trackingSeries', () => {
  it('relates every other series of the same quote, and dollar quotes across venues and codes', () => {
    const keys = [
      'kraken/USDC',
      'binance-us/USD',
      'binance-us/USDT',
      'kraken/EUR',
      'coinbase/USDC',
      'x/GBP',
    ].map((k) => ({ source: k.split('/')[0]!, currency: k.split('/')[1]! }));
    const names = (t: string) =>
      trackingSeries(keys, { source: t.split('/')[0]!, currency: t.split('/')[1]! }).map(
        (k) => `${k.source}/${k.currency}`,
      );
    expect(names('kraken/USDC')).toEqual(['binance-us/USD', 'binance-us/USDT', 'coinbase/USDC']);
    expect(names('binance-us/USD')).toEqual(['kraken/USDC', 'binance-us/USDT', 'coinbase/USDC']);
    expect(names('bitstamp/EUR')).toEqual(['kraken/EUR']);
    expect(names('x/GBP')).toEqual([]);
  });
});

describe('formatAccounting', () => {
  it('says per horizon what was scored and why not, what was missing, and which related series were used', () => {
    const r = {
      accounting: [
        {
          horizon: 1,
          tried: 20,
          scored: 8,
          unscored: { 'window too short': 4, 'no rate at the target minute': 8 },
        },
        { horizon: 5, tried: 20, scored: 20, unscored: {} },
      ],
      relatedMissing: { a: 0, b: 3 },
      relatedUse: {
        'gp-icm': {
          windows: 16,
          used: [
            { name: 'a', lead: 1.5, windows: 4 },
            { name: 'b', lead: 1, windows: 2 },
            { name: 'a', lead: 1, windows: 2 },
          ],
        },
        other: { windows: 16, used: [] },
      },
    } as unknown as BacktestResult;
    expect(formatAccounting(r)).toEqual([
      '+1 min: scored 8 of 20 origins; not scored: 4 window too short, 8 no rate at the target minute',
      '+5 min: scored 20 of 20 origins',
      'related series missing (too few points in the window): b at 3 origins',
      'gp-icm over 16 windows: a in 37.5%: lead 1.5 min 25.0%, lead 1 min 12.5%; b in 12.5%: lead 1 min 12.5%',
      'other over 16 windows: no related series used',
    ]);
  });
});
