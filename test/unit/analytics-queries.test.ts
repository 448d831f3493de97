/** The whitelist between callers and SQL: every allowed interval and window has its own statement, from constants. */
import { describe, expect, it } from 'vitest';
import {
  ROLLING_WINDOWS,
  SAMPLE_INTERVALS,
  alignDown,
  alignUp,
  analyticsQueries,
  analyticsStatements,
  parseRollingWindow,
  parseSampleInterval,
} from '../../sql/analytics.ts';
import { fillSlots } from '../../sql/loader.ts';

const queries = analyticsQueries();
const { sampled, rolling } = analyticsStatements();
const statements = [
  ...['hourly', 'daily', 'trailingDayMeanByHour'].map((n) => queries.get(n)?.sql ?? ''),
  ...Object.values(sampled).flatMap((q) => [q.plain, q.filled]),
  ...Object.values(rolling),
];

describe('analytics.sql', () => {
  it('has one plain and one filled SAMPLE BY query per allowed interval, at that interval', () => {
    for (const interval of SAMPLE_INTERVALS) {
      const { plain, filled } = sampled[interval];
      expect(plain, interval).toMatch(new RegExp(`SAMPLE BY ${interval}\\s*$`));
      expect(plain, interval).not.toMatch(/FILL/);
      expect(filled, interval).toMatch(
        new RegExp(`SAMPLE BY ${interval} FROM \\$3::varchar::timestamp TO \\$4::varchar::timestamp FILL\\(`),
      );
    }
  });

  it('has one rolling query per allowed window, its RANGE frame one microsecond short of the window', () => {
    const windowUs = { '30m': 30 * 60e6, '1h': 3600e6, '1d': 86_400e6 };
    for (const w of ROLLING_WINDOWS) {
      const sql = rolling[w];
      const frame = /RANGE BETWEEN (\d+) MICROSECONDS PRECEDING AND CURRENT ROW/.exec(sql);
      expect(Number(frame?.[1]), w).toBe(windowUs[w] - 1);
    }
  });

  it('fills slots with constants only, every one of them', () => {
    expect(new Set(queries.keys())).toEqual(
      new Set(['hourly', 'daily', 'trailingDayMeanByHour', 'sampled', 'sampledFilled', 'rolling']),
    );
    for (const sql of statements) expect(sql).not.toMatch(/[{}]/);
    expect(() => fillSlots('SAMPLE BY {interval}', {})).toThrow(/no constant for slot \{interval\}/);
    expect(() => fillSlots('SAMPLE BY {interval}', { interval: "1h'; DROP TABLE rates" })).toThrow(
      /no constant/,
    );
  });

  it('binds every value: source, currency and the time range are $1..$4 in every query', () => {
    for (const sql of statements) {
      expect(sql).toMatch(/source = \$1 AND currency = \$2/);
      expect(sql).toMatch(/\$3::varchar::timestamp/);
      expect(sql).toMatch(/\$4::varchar::timestamp/);
      expect(sql).not.toMatch(/\$[5-9]/);
      // A bare $n::timestamp is typed DOUBLE by QuestDB 9.3.4 and fails on ISO strings.
      expect(sql).not.toMatch(/\$\d::timestamp/);
    }
  });
});

describe('interval and window names from untrusted text', () => {
  it('accepts the allowed ones', () => {
    expect(parseSampleInterval('1M')).toBe('1M');
    expect(parseSampleInterval('15m')).toBe('15m');
    expect(parseRollingWindow('1d')).toBe('1d');
  });

  it('rejects anything else, naming what is allowed', () => {
    for (const bad of ['', '2h', '1h; DROP TABLE rates', '1H', ' 1h', '1y', 'toString'])
      expect(() => parseSampleInterval(bad), bad).toThrow(/allowed: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, 1M/);
    expect(() => parseRollingWindow('2h')).toThrow(/allowed: 30m, 1h, 1d/);
  });
});

describe('calendar alignment (UTC)', () => {
  const t = (s: string) => Date.parse(s);
  it('aligns fixed intervals to their multiples since midnight', () => {
    expect(alignDown('15m', t('2024-05-06T10:44:59.999Z'))).toBe(t('2024-05-06T10:30:00Z'));
    expect(alignDown('4h', t('2024-05-06T03:59:00Z'))).toBe(t('2024-05-06T00:00:00Z'));
    expect(alignDown('1d', t('2024-05-06T23:59:00Z'))).toBe(t('2024-05-06T00:00:00Z'));
    expect(alignUp('1h', t('2024-05-06T10:00:00Z'))).toBe(t('2024-05-06T10:00:00Z'));
    expect(alignUp('1h', t('2024-05-06T10:00:00.001Z'))).toBe(t('2024-05-06T11:00:00Z'));
  });

  it('starts weeks on Monday and months on the 1st, across year ends and leap days', () => {
    // 2024-05-05 is a Sunday, 2024-05-06 a Monday.
    expect(alignDown('1w', t('2024-05-05T23:59:00Z'))).toBe(t('2024-04-29T00:00:00Z'));
    expect(alignDown('1w', t('2024-05-06T00:00:00Z'))).toBe(t('2024-05-06T00:00:00Z'));
    expect(alignUp('1w', t('2024-05-06T00:01:00Z'))).toBe(t('2024-05-13T00:00:00Z'));
    expect(alignDown('1M', t('2024-02-29T12:00:00Z'))).toBe(t('2024-02-01T00:00:00Z'));
    expect(alignUp('1M', t('2024-12-15T00:00:00Z'))).toBe(t('2025-01-01T00:00:00Z'));
    expect(alignUp('1M', t('2024-03-01T00:00:00Z'))).toBe(t('2024-03-01T00:00:00Z'));
  });
});
