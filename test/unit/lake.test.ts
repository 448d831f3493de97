import { describe, expect, it } from 'vitest';
import { compareRows, relDiff } from '../support/lake-compare.ts';
import { daysIn, isWholeParquet, partKey, stagingKey } from '../../lake/layout.ts';
import { parseExportArgs } from '../../migrations/backfills/export.ts';

const t = (s: string) => Date.parse(s);

describe('lake layout', () => {
  it('puts a day under a Hive-style date folder and staging outside every table', () => {
    expect(partKey('rates', t('2031-01-05T00:00:00Z'))).toBe('curated/rates/date=2031-01-05/part-0.parquet');
    const staging = stagingKey('polls', t('2031-01-05T00:00:00Z'), 'a1');
    expect(staging).toBe('curated/_staging/polls/date=2031-01-05/part-0.parquet.a1');
    expect(staging.startsWith('curated/polls/')).toBe(false);
  });

  it('lists UTC days, aligning the start down to midnight', () => {
    expect(
      daysIn(t('2031-01-30T10:00:00Z'), t('2031-02-02T00:00:00Z')).map((d) => new Date(d).toISOString()),
    ).toEqual(['2031-01-30T00:00:00.000Z', '2031-01-31T00:00:00.000Z', '2031-02-01T00:00:00.000Z']);
  });

  it('accepts only a file framed by the Parquet magic', () => {
    const magic = [0x50, 0x41, 0x52, 0x31];
    expect(isWholeParquet(new Uint8Array([...magic, 1, 2, ...magic]))).toBe(true);
    expect(isWholeParquet(new Uint8Array([...magic, 1, 2, 3, 4]))).toBe(false); // truncated
    expect(isWholeParquet(new TextEncoder().encode('{"error":"x"}'))).toBe(false);
    expect(isWholeParquet(new Uint8Array([...magic, ...magic].slice(0, 7)))).toBe(false);
  });
});

describe('export backfill arguments', () => {
  const NOW = t('2031-01-20T15:00:00Z');
  it('takes an inclusive range of days', () => {
    const a = parseExportArgs(
      ['--from', '2031-01-05', '--to', '2031-01-06', '--tables', 'rates,polls,rates'],
      NOW,
    );
    expect(a).toEqual({
      from: t('2031-01-05T00:00:00Z'),
      to: t('2031-01-07T00:00:00Z'),
      tables: ['rates', 'polls'],
      progressEveryMs: 5000,
    });
  });

  it('reports every problem at once', () => {
    const a = parseExportArgs(
      ['--from', '2031-02-30', '--to', '2031-01-05T10:00', '--tables', 'rates,nope', '--progress-every', ''],
      NOW,
    );
    expect('errors' in a && a.errors).toEqual([
      '--from "2031-02-30": no such date: February 2031 has 28 days',
      '--to "2031-01-05T10:00": not a date YYYY-MM-DD',
      '--tables: unknown nope; allowed: rates, polls',
      '--progress-every must be a whole number ≥ 0, got ""',
    ]);
    const b = parseExportArgs(['--from', '2031-01-06', '--to', '2031-01-05'], NOW);
    expect('errors' in b && b.errors).toEqual(['--from must not be after --to']);
    expect('errors' in parseExportArgs([], NOW)).toBe(true);
  });

  it('refuses days before the first Bitcoin block and after today', () => {
    const a = parseExportArgs(['--from', '1900-01-01', '--to', '2031-01-21'], NOW);
    expect('errors' in a && a.errors).toEqual([
      '--from "1900-01-01": before 2009-01-03, the first Bitcoin block',
      '--to "2031-01-21": a day in the future',
    ]);
    // Today is in progress, and may be exported (the daily job exports it again once it has ended).
    expect(parseExportArgs(['--from', '2031-01-20', '--to', '2031-01-20'], NOW)).toMatchObject({
      from: t('2031-01-20T00:00:00Z'),
    });
  });
});

describe('compareRows', () => {
  const row = (over: Record<string, number | null> = {}) => ({
    ts: t('2031-01-05T10:00:00Z'),
    source: 's',
    currency: 'EUR',
    count: 60,
    min_rate: 1,
    avg_rate: 1.5,
    std: null,
    ...over,
  });
  const spec = { exact: ['count', 'min_rate'], close: ['avg_rate', 'std'], relTol: 1e-9 };

  it('agrees on equal rows and within the tolerance', () => {
    expect(compareRows('x', [row()], [row({ avg_rate: 1.5 * (1 + 5e-10) })], spec)).toEqual([]);
  });

  it('reports a changed exact value, a mean beyond the tolerance, a null against a number, and missing keys', () => {
    expect(compareRows('x', [row()], [row({ count: 61 })], spec)).toEqual([
      'x 2031-01-05T10:00:00.000Z s EUR: count 60 != 61',
    ]);
    expect(compareRows('x', [row()], [row({ avg_rate: 1.5 * (1 + 2e-9) })], spec)).toHaveLength(1);
    expect(compareRows('x', [row()], [row({ std: 0.1 })], spec)).toHaveLength(1);
    expect(compareRows('x', [row()], [], spec)).toEqual([
      'x 2031-01-05T10:00:00.000Z s EUR: only on the left',
    ]);
    expect(compareRows('x', [], [row()], spec)).toEqual([
      'x 2031-01-05T10:00:00.000Z s EUR: only on the right',
    ]);
  });

  it('measures relative difference symmetrically', () => {
    expect(relDiff(0, 0)).toBe(0);
    expect(relDiff(100, 101)).toBeCloseTo(1 / 101, 15);
    expect(relDiff(101, 100)).toBe(relDiff(100, 101));
  });
});
