import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../../ingest/sources/index.ts';
import type { ParsedRate } from '../../../ingest/sources/types.ts';
import {
  BLOCKCHAIN_CODES,
  COINBASE_CODES,
  COINDESK_CODES,
  COINGECKO_CODES,
} from '../../../fakes/currencies.ts';
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
import { priceAt } from '../../../fakes/walk.ts';

const json = (body: string) => ({ status: 200, headers: { 'content-type': 'application/json' }, body });
const minuteArb = fc.integer({ min: 21_000_000, max: 40_000_000 }).map((m) => m * 60_000); // 2009-2046
const seedArb = fc.integer({ min: 0, max: 1000 });
const walk = (seed: number, minute: number, codes: readonly string[], quoteTs: number | null): ParsedRate[] =>
  codes.map((currency) => ({ currency, rate: priceAt(seed, currency, minute), quoteTs }));

const query = (vs: string[], more: Partial<CoingeckoQuery> = {}): CoingeckoQuery => ({
  ids: ['bitcoin'],
  vsCurrencies: vs,
  includeLastUpdatedAt: true,
  include24hrChange: false,
  includeMarketCap: false,
  include24hrVol: false,
  ...more,
});

describe('fake API formats, read back by the real adapters', () => {
  it('blockchain ticker: every currency at the walk price, glyph and code symbols alike', () => {
    fc.assert(
      fc.property(
        seedArb,
        minuteArb,
        fc.constantFrom('glyph' as const, 'code' as const),
        (seed, minute, symbols) => {
          const result = ADAPTERS.blockchain.parse(json(renderBlockchain(minute, seed, { symbols })));
          expect(result).toEqual({ rates: walk(seed, minute, BLOCKCHAIN_CODES, null), rejections: [] });
        },
      ),
      { numRuns: 100 },
    );
    expect(renderBlockchain(0, 1, { symbols: 'glyph' })).toContain('"symbol" : "R$"');
  });

  it('coinbase: every currency as a decimal string, and the BTC self quote as the only rejection', () => {
    fc.assert(
      fc.property(seedArb, minuteArb, (seed, minute) => {
        const body = renderCoinbase(minute, seed);
        expect(body).toContain('"BTC":"1.00000000"');
        const result = ADAPTERS.coinbase.parse(json(body));
        const codes = COINBASE_CODES.filter((c) => c !== 'BTC');
        expect(result.rates).toEqual(walk(seed, minute, codes, null));
        expect(result.rejections.map((r) => [r.currency, r.reason])).toEqual([['BTC', 'self_quote']]);
      }),
      { numRuns: 50 },
    );
  });

  it('coingecko: the asked vs_currencies, companions skipped, the cached quote time on every rate', () => {
    const supported = COINGECKO_CODES.filter((c) => c !== 'btc');
    fc.assert(
      fc.property(
        seedArb,
        minuteArb,
        fc.subarray(supported, { minLength: 1 }),
        fc.boolean(),
        fc.boolean(),
        (seed, minute, vs, change, cap) => {
          const body = renderCoingecko(
            minute,
            seed,
            query(vs, { include24hrChange: change, includeMarketCap: cap, include24hrVol: cap }),
          );
          const quoteTs = coingeckoQuoteTime(seed, minute);
          expect(quoteTs % 1000).toBe(0);
          expect(minute - quoteTs).toBeGreaterThanOrEqual(0);
          expect(minute - quoteTs).toBeLessThan(60_000);
          const result = ADAPTERS.coingecko.parse(json(body));
          expect(result).toEqual({
            rates: walk(
              seed,
              minute,
              vs.map((c) => c.toUpperCase()),
              quoteTs,
            ),
            rejections: [],
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('coingecko: `{}` for an unknown id, unsupported currencies left out, no quote time unless asked', () => {
    expect(renderCoingecko(0, 1, { ...query(['usd']), ids: ['notacoin'] })).toBe('{}');
    expect(JSON.parse(renderCoingecko(0, 1, query(['usd', 'zzz'])))).toEqual({
      bitcoin: { usd: priceAt(1, 'USD', 0), last_updated_at: coingeckoQuoteTime(1, 0) / 1000 },
    });
    const plain = ADAPTERS.coingecko.parse(
      json(renderCoingecko(0, 1, query(['eur'], { includeLastUpdatedAt: false }))),
    );
    expect(plain.rates).toEqual([{ currency: 'EUR', rate: priceAt(1, 'EUR', 0), quoteTs: null }]);
  });

  it('coingecko query: lower-cased, deduplicated, with the flags; missing parameters named', () => {
    const q = parseCoingeckoQuery(
      new URLSearchParams(
        'ids=Bitcoin&vs_currencies=USD,eur,,usd&include_last_updated_at=true&include_24hr_change=TRUE',
      ),
    );
    expect(q).toEqual(query(['usd', 'eur'], { include24hrChange: true }));
    expect(parseCoingeckoQuery(new URLSearchParams('ids=bitcoin'))).toEqual({
      error: 'Missing parameter vs_currencies',
    });
  });

  it('coindesk: rate_float at the walk price, `rate` with separators, updatedISO as quote time', () => {
    fc.assert(
      fc.property(seedArb, minuteArb, (seed, minute) => {
        const body = renderCoindesk(minute, seed);
        const quoteTs = coindeskQuoteTime(seed, minute);
        const codes = COINDESK_CODES.map((c) => c.code);
        expect(ADAPTERS.coindesk.parse(json(body))).toEqual({
          rates: walk(seed, minute, codes, quoteTs),
          rejections: [],
        });
        const usd = (JSON.parse(body) as { bpi: { USD: { rate: string; symbol: string } } }).bpi.USD;
        expect(usd.rate).toMatch(/^\d{1,3}(,\d{3})+\.\d{4}$/);
        expect(Number(usd.rate.replaceAll(',', ''))).toBeCloseTo(priceAt(seed, 'USD', minute), 4);
        expect(usd.symbol).toBe('&#36;');
      }),
      { numRuns: 100 },
    );
  });

  it('coindesk: the human-readable times agree with updatedISO', () => {
    const minute = Date.UTC(2025, 0, 6, 13, 19);
    const time = (JSON.parse(renderCoindesk(minute, 1)) as { time: Record<string, string> }).time;
    const iso = new Date(coindeskQuoteTime(1, minute));
    expect(time.updatedISO).toBe(iso.toISOString().replace('.000Z', '+00:00'));
    expect(time.updated).toMatch(/^Jan 6, 2025 13:18:\d\d UTC$/);
    expect(time.updateduk).toBe('Jan 6, 2025 at 13:18 GMT');
  });
});
