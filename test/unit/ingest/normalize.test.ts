import { describe, expect, it } from 'vitest';
import type { SourceName } from '../../../common/types.ts';
import {
  advance,
  describeRejections,
  JUMP_LOOKBACK_MS,
  normalize,
  rejectionRows,
  type Previous,
} from '../../../ingest/normalize.ts';
import { adapterFor } from '../../../ingest/sources/index.ts';
import { BLOCKCHAIN_CODES, COINBASE_CODES, COINDESK_CODES } from '../../../fakes/currencies.ts';
import {
  coindeskQuoteTime,
  coingeckoQuoteTime,
  parseCoingeckoQuery,
  renderBlockchain,
  renderCoinbase,
  renderCoindesk,
  renderCoingecko,
  type CoingeckoQuery,
} from '../../../fakes/formats.ts';
import { formatPrice, priceAt } from '../../../fakes/walk.ts';
import { envelope } from './helpers.ts';

const SEED = 9;
const MINUTE = Date.UTC(2030, 2, 3, 4, 5);
const none = new Map<string, Previous>();
const run = (source: SourceName, body: string | Buffer, previous = none, over = {}) =>
  normalize(envelope(source, MINUTE, { body, ...over }), adapterFor(source), previous);

describe('normalize: one envelope of each source', () => {
  it('blockchain: every currency at its `last`, no quote time, a clean poll row', () => {
    const body = renderBlockchain(MINUTE, SEED, { symbols: 'glyph' });
    const env = envelope('blockchain', MINUTE, { body, attempt: 2, latencyMs: 42.5 });
    const n = normalize(env, adapterFor('blockchain'), none);
    expect(n.rates).toEqual(
      BLOCKCHAIN_CODES.map((currency) => ({
        ts: MINUTE,
        source: 'blockchain',
        currency,
        rate: priceAt(SEED, currency, MINUTE),
        quoteTs: null,
      })),
    );
    expect(n.rejections).toEqual([]);
    expect(n.poll).toEqual({
      ts: MINUTE,
      source: 'blockchain',
      attempt: 2,
      poller: 'test',
      fetchedAt: MINUTE + 1_000,
      httpStatus: 200,
      latencyMs: 42.5,
      bytes: Buffer.byteLength(body),
      accepted: BLOCKCHAIN_CODES.length,
      rejected: 0,
      archiveId: env.id,
      reason: '',
      error: '',
    });
  });

  it('coinbase: every code but BTC from its decimal string; BTC filtered as a self quote', () => {
    const n = run('coinbase', renderCoinbase(MINUTE, SEED));
    const expected = COINBASE_CODES.filter((c) => c !== 'BTC');
    expect(n.rates.map((r) => r.currency)).toEqual(expected);
    for (const r of n.rates) expect(r.rate).toBe(Number(formatPrice(priceAt(SEED, r.currency, MINUTE))));
    expect(n.rejections).toEqual([{ currency: 'BTC', reason: 'self_quote', detail: expect.any(String) }]);
    // A self quote is in every healthy answer: a clean poll row, and one `rejections` row that counts it.
    expect(n.poll).toMatchObject({ accepted: expected.length, rejected: 0, reason: '', error: '' });
    expect(rejectionRows(n.poll, n.rejections)).toEqual([
      {
        ts: MINUTE,
        source: 'coinbase',
        attempt: 1,
        poller: 'test',
        currency: 'BTC',
        reason: 'self_quote',
        detail: expect.stringMatching(/^BTC priced in itself/),
      },
    ]);
  });

  it('coingecko: the currencies asked for, with the cache time as quote time', () => {
    const query = parseCoingeckoQuery(
      new URLSearchParams('ids=bitcoin&vs_currencies=usd,eur,jpy&include_last_updated_at=true'),
    ) as CoingeckoQuery;
    const n = run('coingecko', renderCoingecko(MINUTE, SEED, query));
    const quoteTs = coingeckoQuoteTime(SEED, MINUTE);
    expect(n.rates).toEqual(
      ['USD', 'EUR', 'JPY'].map((currency) => ({
        ts: MINUTE,
        source: 'coingecko',
        currency,
        rate: priceAt(SEED, currency, MINUTE),
        quoteTs,
      })),
    );
    expect(n.poll.reason).toBe('');
  });

  it('coindesk: rate_float of the three currencies, updatedISO as quote time', () => {
    const n = run('coindesk', renderCoindesk(MINUTE, SEED));
    expect(n.rates).toEqual(
      COINDESK_CODES.map(({ code }) => ({
        ts: MINUTE,
        source: 'coindesk',
        currency: code,
        rate: priceAt(SEED, code, MINUTE),
        quoteTs: coindeskQuoteTime(SEED, MINUTE),
      })),
    );
  });
});

describe('normalize: failed polls', () => {
  it('no response at all: reason "network", the error kept, nothing parsed', () => {
    const n = run('blockchain', '', none, {
      status: 0,
      error: 'UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error',
    });
    expect(n.rates).toEqual([]);
    expect(n.rejections).toEqual([
      {
        currency: null,
        reason: 'network',
        detail: 'no response: UND_ERR_CONNECT_TIMEOUT: Connect Timeout Error',
      },
    ]);
    expect(n.poll).toMatchObject({ httpStatus: 0, bytes: 0, accepted: 0, rejected: 1, reason: 'network' });
    expect(n.poll.error).toContain('Connect Timeout');
  });

  it('an error status is an http_status rejection, not a network one', () => {
    const n = run('coinbase', '{"errors":[{"id":"internal"}]}', none, { status: 503 });
    expect(n.rates).toEqual([]);
    expect(n.poll).toMatchObject({ httpStatus: 503, reason: 'http_status', rejected: 1 });
  });

  it('a body cut at the size cap is rejected as truncated, once', () => {
    const full = renderBlockchain(MINUTE, SEED);
    const n = run('blockchain', full.slice(0, 500), none, {
      bodyTruncated: true,
      error: 'response larger than 500 bytes',
    });
    expect(n.rates).toEqual([]);
    expect(n.rejections).toEqual([
      { currency: null, reason: 'truncated', detail: 'response larger than 500 bytes' },
    ]);
    expect(n.poll).toMatchObject({ reason: 'truncated', bytes: 500, accepted: 0, rejected: 1 });
  });

  it('a body cut at the size cap yields no rates even when what is left happens to parse', () => {
    // Padding after the JSON (as a pretty-printer or a proxy could add) cut off: the prefix is valid JSON, but the
    // response as a whole was never seen, so nothing of it is trusted.
    const body = `{"USD":{"last":50000}}${' '.repeat(100)}`;
    const n = run('blockchain', body, none, { bodyTruncated: true, error: 'response larger than 122 bytes' });
    expect(n.rates).toEqual([]);
    expect(n.rejections).toEqual([
      { currency: null, reason: 'truncated', detail: 'response larger than 122 bytes' },
    ]);
    expect(n.poll).toMatchObject({ accepted: 0, rejected: 1, reason: 'truncated' });
  });

  it('an invalid UTF-8 body (archived as base64) is parsed from its bytes and rejected', () => {
    const n = run('blockchain', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect(n.rates).toEqual([]);
    expect(n.poll.bytes).toBe(4);
    expect(n.poll.reason).toBe('not_json');
  });

  it("a filtered rejection beside a real one: only the real one is the poll's, both are rows", () => {
    const body = JSON.stringify({ data: { currency: 'BTC', rates: { USD: '5', BTC: '1', EUR: 'x' } } });
    const n = run('coinbase', body);
    expect(n.poll).toMatchObject({ accepted: 1, rejected: 1, reason: 'not_a_number' });
    expect(n.poll.error).toMatch(/^not_a_number\(EUR\): /);
    expect(rejectionRows(n.poll, n.rejections).map((r) => [r.currency, r.reason])).toEqual([
      ['BTC', 'self_quote'],
      ['EUR', 'not_a_number'],
    ]);
  });

  it('a rejection row names a currency only by a valid code; a bad key stays in the detail', () => {
    const n = run('blockchain', JSON.stringify({ USD: { last: 5 }, 'a b,c=\n': { last: 6 } }));
    const rows = rejectionRows(n.poll, n.rejections);
    expect(rows).toEqual([
      expect.objectContaining({
        currency: null,
        reason: 'bad_currency_code',
        detail: expect.stringContaining('a b,c='),
      }),
    ]);
  });

  it('keeps the error column bounded, however many rejections', () => {
    const many = Array.from({ length: 500 }, (_, i) => ({
      currency: `C${i}`,
      reason: 'not_a_number' as const,
      detail: `rate "x${i}" is not a decimal number`,
    }));
    const text = describeRejections(many);
    expect(text.length).toBeLessThan(4_100);
    expect(text).toMatch(/… \(500 rejections\)$/);
  });
});

describe('the jump check', () => {
  const body = (usd: number, eur = 45_000) => JSON.stringify({ USD: { last: usd }, EUR: { last: eur } });
  const prev = (rate: number, ts: number) => new Map([['USD', { rate, ts }]]);

  it('rejects a rate more than 1.5x the previous minute’s, keeping the other currencies', () => {
    const n = run('blockchain', body(100_000), prev(50_000, MINUTE - 60_000));
    expect(n.rates.map((r) => r.currency)).toEqual(['EUR']);
    expect(n.rejections).toEqual([{ currency: 'USD', reason: 'absurd_jump', detail: expect.any(String) }]);
    expect(n.poll).toMatchObject({ accepted: 1, rejected: 1, reason: 'absurd_jump' });
  });

  it('accepts a move within the bound', () => {
    expect(run('blockchain', body(74_000), prev(50_000, MINUTE - 60_000)).rates).toHaveLength(2);
  });

  it('applies within JUMP_LOOKBACK_MS, the boundary included, and not beyond it', () => {
    expect(JUMP_LOOKBACK_MS).toBe(3_600_000);
    const at = (ago: number) =>
      run('blockchain', body(100_000), prev(50_000, MINUTE - ago)).rates.map((r) => r.currency);
    expect(at(JUMP_LOOKBACK_MS)).toEqual(['EUR']);
    expect(at(JUMP_LOOKBACK_MS + 60_000)).toEqual(['USD', 'EUR']);
  });

  it('compares with an earlier minute or the same one (a second poller, a re-poll after a restart), not a later one', () => {
    // Live, a second poller compares with its own last minute; a replay sees the first poller's rate of the
    // minute first: both must refuse the same jump.
    expect(run('blockchain', body(100_000), prev(50_000, MINUTE)).rates.map((r) => r.currency)).toEqual([
      'EUR',
    ]);
    expect(run('blockchain', body(100_000), prev(50_000, MINUTE + 60_000)).rates).toHaveLength(2);
  });

  it('reads `previous` without changing it', () => {
    const p = prev(50_000, MINUTE - 60_000);
    run('blockchain', body(60_000), p);
    expect(p).toEqual(prev(50_000, MINUTE - 60_000));
  });
});

describe('advance', () => {
  it('records accepted rates as their currencies’ previous, leaving the others', () => {
    const p = new Map<string, Previous>([
      ['USD', { rate: 1, ts: 0 }],
      ['GBP', { rate: 2, ts: 0 }],
    ]);
    advance(p, [
      { ts: MINUTE, source: 'x', currency: 'USD', rate: 10, quoteTs: null },
      { ts: MINUTE, source: 'x', currency: 'EUR', rate: 20, quoteTs: 5 },
    ]);
    expect(p).toEqual(
      new Map([
        ['USD', { rate: 10, ts: MINUTE }],
        ['GBP', { rate: 2, ts: 0 }],
        ['EUR', { rate: 20, ts: MINUTE }],
      ]),
    );
  });

  it('a rejected jump does not become the reference: the next minute compares with the last good rate', () => {
    const p = new Map([['USD', { rate: 50_000, ts: MINUTE - 60_000 }]]);
    const spike = run('blockchain', JSON.stringify({ USD: { last: 500_000 } }), p);
    advance(p, spike.rates);
    expect(p.get('USD')).toEqual({ rate: 50_000, ts: MINUTE - 60_000 });
  });
});
