/** The `replay-s3` command line and report, and the pure core of the gap-repair job. */
import { describe, expect, it } from 'vitest';
import { makeGapRepairJob, type GapRepairOptions } from '../../../jobs/gap-repair.ts';
import { classifyGaps, FILLED, gridGaps, isFinal, spansOf } from '../../../jobs/gaps.ts';
import { validatePolicy } from '../../../jobs/scheduler.ts';
import { makeReplayNormalizer, rateKey } from '../../../ingest/replay/minutes.ts';
import { zeroCounters, type Counters, type ReplaySummary } from '../../../ingest/replay/replay.ts';
import {
  formatReplaySummary,
  parseReplayArgs,
  replayExitStatus,
  type ReplayCliOptions,
} from '../../../migrations/backfills/replay-s3.ts';
import { renderBlockchain } from '../../../fakes/formats.ts';
import { envelope } from '../ingest/helpers.ts';

const MIN = 60_000;
const H = 3_600_000;
const T = Date.UTC(2031, 0, 5);

describe('replay-s3 arguments', () => {
  it('reads dates, times and durations; floors --from and ceils --to to whole minutes', () => {
    const span = (from: string, to: string, slack = '0') => {
      const o = parseReplayArgs(['--from', from, '--to', to, '--slack', slack]);
      return 'errors' in o ? o.errors : [o.from, o.to, o.slackMs];
    };
    expect(span('2031-01-05', '2031-01-05T10:00', '90m')).toEqual([T, T + 10 * H, 90 * MIN]);
    expect(span('2031-01-05T12:00+02:00', '2031-01-06', '2d')).toEqual([T + 10 * H, T + 24 * H, 48 * H]);
    const o = parseReplayArgs(['--from', '2031-01-05T00:00:30Z', '--to', '2031-01-05T01:00:01Z']);
    expect(o).toMatchObject({
      from: T,
      to: T + H + MIN,
      sources: null,
      force: false,
      slackMs: 24 * H,
      batchRows: 20_000,
      concurrency: 16,
      resumable: true,
      fresh: false,
      allowSkips: false,
      progressEveryMs: 5_000,
    });
  });

  it('reports every problem at once', () => {
    const r = parseReplayArgs([
      '--to',
      '2031-01-04',
      '--sources',
      'blockchain,bitfinex',
      '--slack',
      'later',
      '--batch-size',
      '0',
      '--progress-every',
      '0x10',
    ]);
    expect('errors' in r && r.errors).toEqual([
      '--from is required',
      '--sources: unknown bitfinex; known: blockchain, coinbase, coingecko, coindesk, kraken, bitstamp, coinbase_exchange, gemini, binance',
      '--slack "later": not a duration such as 90m, 24h or 2d',
      '--batch-size must be a whole number from 1 to 1000000, got "0"',
      '--progress-every must be a whole number ≥ 0, got "0x10"',
    ]);
    expect(parseReplayArgs(['--from', '2031-01-05', '--to', '2031-01-05'])).toEqual({
      errors: ['--from must be before --to'],
    });
    expect(parseReplayArgs(['--from', '2031-01-05', '--to', '2031-01-06', '--what'])).toMatchObject({
      errors: [expect.stringMatching(/what/)],
    });
  });

  it('refuses an impossible date, naming the flag and the value, never rolling it over', () => {
    expect(parseReplayArgs(['--from', '2031-02-30', '--to', '2031-03-05'])).toEqual({
      errors: ['--from "2031-02-30": no such date: February 2031 has 28 days'],
    });
    expect(parseReplayArgs(['--from', '2031-03-01', '--to', '2031-03-01T24:00'])).toMatchObject({
      errors: [expect.stringMatching(/^--to "2031-03-01T24:00": no such time of day/)],
    });
    expect(parseReplayArgs(['--from', 'yesterday', '--to', '2031-03-01'])).toMatchObject({
      errors: [expect.stringMatching(/^--from "yesterday": not an ISO 8601/)],
    });
  });

  const summary = (counters: Partial<Counters>, over: Partial<ReplaySummary> = {}): ReplaySummary => ({
    runKey: 'k',
    resumedFrom: null,
    counters: { ...zeroCounters(), ...counters },
    ratesThisRun: 1_000,
    staleDays: [],
    interrupted: false,
    ...over,
  });

  it('exits 1 when objects were skipped unless --allow-skips, 130 when interrupted', () => {
    const strict = { allowSkips: false, allowEmpty: false };
    const skips = { allowSkips: true, allowEmpty: false };
    expect(replayExitStatus(summary({ envelopes: 5, badObjects: 0 }), strict)).toBe(0);
    expect(replayExitStatus(summary({ envelopes: 5, badObjects: 2 }), strict)).toBe(1);
    expect(replayExitStatus(summary({ envelopes: 5, badObjects: 2 }), skips)).toBe(0);
    expect(replayExitStatus(summary({}, { interrupted: true }), skips)).toBe(130);
  });

  it('exits 1 when the range holds no envelope unless --allow-empty', () => {
    expect(replayExitStatus(summary({ envelopes: 0 }), { allowSkips: false, allowEmpty: false })).toBe(1);
    expect(replayExitStatus(summary({}), { allowSkips: true, allowEmpty: false })).toBe(1);
    expect(replayExitStatus(summary({ envelopes: 0 }), { allowSkips: false, allowEmpty: true })).toBe(0);
    const o = parseReplayArgs(['--from', '2031-01-05', '--to', '2031-01-06', '--allow-empty']);
    expect(o).toMatchObject({ allowEmpty: true });
  });

  it('summarizes what was read, written, kept, skipped and stale', () => {
    const opts = parseReplayArgs([
      '--from',
      '2031-01-05',
      '--to',
      '2031-01-06',
      '--force',
    ]) as ReplayCliOptions;
    const text = formatReplaySummary(
      opts,
      's3://b/raw/',
      summary(
        {
          objects: 3,
          badObjects: 1,
          badLines: 2,
          envelopes: 10,
          duplicates: 1,
          rates: 1_000,
          ratesWritten: 1_000,
          ratesReplaced: 990,
          stale: 4,
        },
        { resumedFrom: T + H, staleDays: ['2031-01-05'] },
      ),
      2_000,
    );
    expect(text).toContain(
      'replay-s3 s3://b/raw/ minutes 2031-01-05T00:00Z .. 2031-01-06T00:00Z, all sources, --force',
    );
    expect(text).toContain('resumed     from 2031-01-05T01:00Z');
    expect(text).toContain('1 with corrupt lines skipped (2 lines)');
    expect(text).toContain('1,000 normalized: 1,000 written (990 replacing stored rows)');
    expect(text).toMatch(/stale +4 stored rates rows .*\(on 2031-01-05\)/);
    expect(text).toContain('(500 rows/s)');
  });
});

describe('gap repair, pure parts', () => {
  it('puts every series on the minute grid of the window', () => {
    const present = new Set([
      rateKey({ ts: T, source: 'a', currency: 'X' }),
      rateKey({ ts: T + 2 * MIN, source: 'a', currency: 'X' }),
    ]);
    expect(gridGaps({ start: T, end: T + 3 * MIN }, [{ source: 'a', currency: 'X' }], present)).toEqual([
      { ts: T + MIN, source: 'a', currency: 'X' },
    ]);
    expect(gridGaps({ start: T, end: T + 2 * MIN }, [{ source: 'b', currency: 'Y' }], present)).toHaveLength(
      2,
    );
  });

  it('joins minutes close together into one span', () => {
    expect(spansOf([T + 50 * MIN, T, T + 2 * MIN, T + 3 * H, T], H)).toEqual([
      { from: T, to: T + 51 * MIN },
      { from: T + 3 * H, to: T + 3 * H + MIN },
    ]);
  });

  it('tells repaired from rejected (with the reason) from missing', () => {
    const ok = envelope('blockchain', T, { body: renderBlockchain(T, 1, { codes: ['USD'] }) });
    const down = envelope('blockchain', T + MIN, { status: 500, body: 'oops' });
    const n = makeReplayNormalizer({ previous: {}, firstSeen: new Map() });
    const outs = [n.normalizeMinute(T, [ok]), n.normalizeMinute(T + MIN, [down])];
    const gaps = [
      { ts: T, source: 'blockchain', currency: 'USD' },
      { ts: T, source: 'blockchain', currency: 'EUR' },
      { ts: T + MIN, source: 'blockchain', currency: 'USD' },
      { ts: T + 2 * MIN, source: 'blockchain', currency: 'USD' },
      { ts: T + 3 * MIN, source: 'blockchain', currency: 'USD' },
    ];
    // A row written since the gap was found (a candle page) makes a minute with no response of its own repaired.
    const filled = new Set([rateKey(gaps[4]!)]);
    expect([...classifyGaps(gaps, outs, filled).values()]).toEqual([
      { status: 'repaired', reason: '' },
      { status: 'rejected', reason: 'the currency is not in the response' },
      { status: 'rejected', reason: expect.stringMatching(/^http_status/) },
      { status: 'missing', reason: expect.stringMatching(/no response/) },
      { status: 'repaired', reason: FILLED },
    ]);
  });

  it('keeps a missing minute open until a late arrival is no longer possible', () => {
    expect(isFinal('missing', T, T + H, 24 * H)).toBe(false);
    expect(isFinal('missing', T, T + 25 * H, 24 * H)).toBe(true);
    expect(isFinal('rejected', T, T + H, 24 * H)).toBe(true);
  });

  it('is registered as an hourly job catching up every missed window', () => {
    const job = makeGapRepairJob({} as GapRepairOptions);
    expect(job.name).toBe('gap-repair');
    expect(job.policy).toMatchObject({ windowMs: H, catchUp: 'each' });
    expect(() => validatePolicy(job.name, job.policy)).not.toThrow();
  });
});
