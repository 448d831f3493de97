/** `npm run backfill -- candles`: the command line checks, each refusal one clear reason. */
import { describe, expect, it } from 'vitest';
import { parseCandleArgs } from '../../migrations/backfills/candles.ts';

const NOW = Date.UTC(2031, 0, 5, 12, 0, 30);
const errors = (args: string[]) => {
  const r = parseCandleArgs(args, NOW);
  return 'errors' in r ? r.errors : [];
};

describe('candles backfill arguments', () => {
  it('reads a venue, a range rounded out to whole minutes, and the default pairs', () => {
    const r = parseCandleArgs(
      ['--venue', 'binance', '--from', '2031-01-05T01:00:30Z', '--to', '2031-01-05T02:00:10Z'],
      NOW,
    );
    expect(r).toEqual({
      venue: 'binance',
      pairs: ['BTCUSDT', 'BTCUSDC'],
      from: Date.UTC(2031, 0, 5, 1, 0),
      to: Date.UTC(2031, 0, 5, 2, 1),
    });
  });

  it('refuses unknown venues, gemini with its reason, bad times, reversed ranges and future ends', () => {
    expect(errors(['--venue', 'nowhere', '--from', '2031-01-05', '--to', '2031-01-05T01:00Z'])[0]).toContain(
      '--venue "nowhere": use one of kraken, bitstamp, coinbase_exchange, binance',
    );
    for (const inherited of ['toString', '__proto__', 'constructor'])
      expect(
        errors(['--venue', inherited, '--from', '2031-01-05', '--to', '2031-01-05T01:00Z'])[0],
      ).toContain(`--venue "${inherited}": use one of`);
    expect(errors(['--venue', 'gemini', '--from', '2031-01-05', '--to', '2031-01-05T01:00Z'])).toEqual([
      '--venue gemini: its candles endpoint takes no time range, so it cannot be paged',
    ]);
    expect(errors(['--venue', 'bitstamp', '--from', '2031-02-30', '--to', '2031-01-05T01:00Z'])[0]).toContain(
      '--from "2031-02-30": no such date',
    );
    expect(
      errors(['--venue', 'bitstamp', '--from', '2031-01-05T02:00Z', '--to', '2031-01-05T01:00Z']),
    ).toEqual(['--from must be before --to']);
    expect(errors(['--venue', 'bitstamp', '--from', '2031-01-05', '--to', '2031-01-06'])).toEqual([
      '--to is in the future',
    ]);
    // Seconds ago, rounded up to the minute now under way: not in the future.
    expect(
      errors(['--venue', 'bitstamp', '--from', '2031-01-05T11:00Z', '--to', '2031-01-05T12:00:20Z']),
    ).toEqual([]);
    expect(
      errors(['--venue', 'bitstamp', '--from', '2031-01-05', '--to', '2031-01-05T01:00Z', '--pair', 'x'])[0],
    ).toContain("Unknown option '--pair'");
    expect(errors(['--venue', 'kraken'])).toEqual(['--from is required', '--to is required']);
  });

  it('refuses a Kraken range beyond its reach: 720 candles, the open one included', () => {
    expect(errors(['--venue', 'kraken', '--from', '2031-01-04T23:00Z', '--to', '2031-01-05T01:00Z'])).toEqual(
      ['--from 2031-01-04T23:00Z: kraken serves only its last 719 closed minutes of candles'],
    );
    const onTheMinute = (from: string) =>
      parseCandleArgs(
        ['--venue', 'kraken', '--from', from, '--to', '2031-01-05T01:00Z'],
        Date.UTC(2031, 0, 5, 12),
      );
    expect(onTheMinute('2031-01-05T00:01Z')).not.toHaveProperty('errors');
    expect(onTheMinute('2031-01-05T00:00Z')).toHaveProperty('errors');
    expect(errors(['--venue', 'kraken', '--from', '2031-01-05T01:00Z', '--to', '2031-01-05T02:00Z'])).toEqual(
      [],
    );
  });
});
