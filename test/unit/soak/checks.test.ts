/** The soak's reconciliation of what the fake served with what the poller archived, where a client gave up. */
import { describe, expect, it } from 'vitest';
import type { SourceName } from '../../../common/types.ts';
import { abandonedResponses, archivedMinutes, lostPolls } from '../../soak/checks.ts';
import type { ServedResponse } from '../../../fakes/server.ts';
import { envelope } from '../ingest/helpers.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 0, 5, 10, 0);
const iso = (ms: number) => new Date(ms).toISOString();

const served = (source: SourceName, minute: number, body: string, at = minute + 2_000): ServedResponse => ({
  source,
  minute,
  status: 200,
  headers: {},
  body,
  valid: true,
  at,
  fault: null,
});
/** The poller's record of an attempt that got no response before its budget ran out. */
const timedOut = (source: SourceName, minute: number, fetchedAt = minute + 1_000) =>
  envelope(source, minute, { status: 0, error: 'no complete response within 212 ms', fetchedAt });

const abandoned = (s: ServedResponse[], envs: ReturnType<typeof envelope>[]) =>
  abandonedResponses(s, envs, archivedMinutes(s, envs));

describe('abandonedResponses', () => {
  it('excuses a response nothing archived when the poller recorded that request as timed out', () => {
    const lost = served('coingecko', T, '{"bitcoin":{"usd":1}}');
    const got = served('coinbase', T, '{"data":{}}');
    const envs = [timedOut('coingecko', T), envelope('coinbase', T, { body: '{"data":{}}' })];
    expect([...abandoned([lost, got], envs)]).toEqual([lost]);
  });

  it('still reports a response that was lost without the poller timing out', () => {
    const lost = served('coingecko', T, '{"bitcoin":{"usd":1}}');
    expect(abandoned([lost], [])).toEqual(new Set());
    // a timeout of another source, or of an earlier minute, does not excuse it
    expect(abandoned([lost], [timedOut('coindesk', T), timedOut('coingecko', T - 2 * MIN)])).toEqual(
      new Set(),
    );
  });

  it('excuses one response per timed-out request, and only one served after the request began', () => {
    const first = served('coingecko', T, 'a', T + 2_000);
    const second = served('coingecko', T, 'b', T + 3_000);
    expect(abandoned([first, second], [timedOut('coingecko', T)]).size).toBe(1);
    const early = served('coingecko', T, 'a', T + 500);
    expect(abandoned([early], [timedOut('coingecko', T, T + 1_000)])).toEqual(new Set());
  });

  it("covers a late request served the next minute's prices", () => {
    const late = served('coindesk', T + MIN, 'x', T + MIN + 100);
    expect([...abandoned([late], [timedOut('coindesk', T)])]).toEqual([late]);
  });
});

describe('lostPolls', () => {
  const line = (service: string, o: object) => `${service} | ${JSON.stringify({ level: 30, ...o })}`;
  it('keys the polls a poller logged as lost on the way to QuestDB by minute, source and poller id', () => {
    const lines = [
      line('pressure-1', {
        msg: 'polled',
        source: 'coinbase',
        minute: iso(T),
        archive: 'sent',
        store: 'lost',
      }),
      line('poller', { msg: 'polled', source: 'blockchain', minute: iso(T + MIN), store: 'lost' }),
      line('poller', { msg: 'polled', source: 'coindesk', minute: iso(T), store: 'spooled' }),
      line('pressure-1', { msg: 'SPOOL FULL: batch could not be kept', channel: 'store', store: 'lost' }),
      'pressure-1 | "store":"lost" but not JSON',
    ];
    expect([...lostPolls(lines)].sort()).toEqual([
      '2031-01-05T10:00:00.000Z|coinbase|pressure-1',
      '2031-01-05T10:01:00.000Z|blockchain|main',
    ]);
  });
});
