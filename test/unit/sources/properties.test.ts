/**
 * Properties of every adapter over generated payloads: valid ones yield exactly the generated rates; spoiling
 * one currency loses only that one; cut bodies are `truncated`; and no mutated response, however broken, makes
 * `parse` throw or break the result's invariants.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILTERED_REASONS, REJECTION_REASONS, SOURCE_NAMES, type SourceName } from '../../../common/types.ts';
import { normalize, rejectionRows } from '../../../ingest/normalize.ts';
import { ADAPTERS, type ParsedRate } from '../../../ingest/sources/index.ts';
import { envelope } from '../ingest/helpers.ts';
import {
  binanceSpec,
  bitstampSpec,
  blockchainSpec,
  coinbaseExchangeSpec,
  coinbaseSpec,
  coindeskSpec,
  coingeckoSpec,
  geminiSpec,
  krakenSpec,
  evilValue,
  mutatedResponse,
  serialize,
  type PayloadSpec,
} from './arbitraries.ts';
import { expectWellFormed, ok as okResponse, reasons } from './helpers.ts';

const SPECS: Record<SourceName, PayloadSpec> = {
  blockchain: blockchainSpec,
  coinbase: coinbaseSpec,
  coingecko: coingeckoSpec,
  coindesk: coindeskSpec,
  kraken: krakenSpec,
  bitstamp: bitstampSpec,
  coinbase_exchange: coinbaseExchangeSpec,
  gemini: geminiSpec,
  binance: binanceSpec,
};

/** Rates in code order: JavaScript objects enumerate integer-like keys ("10") first, whatever the payload order. */
function byCode(rates: ParsedRate[]): ParsedRate[] {
  return [...rates].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}

describe.each(SOURCE_NAMES)('%s adapter properties', (name) => {
  const adapter = ADAPTERS[name];
  const spec = SPECS[name];
  const ok = (body: string) => ({ ...okResponse(body), url: spec.url });

  it('accepts exactly the generated rates of a valid payload (1000 payloads)', () => {
    fc.assert(
      fc.property(spec.payload, ({ json, expected, selfQuote }) => {
        const result = adapter.parse(ok(JSON.stringify(json)));
        expect(byCode(result.rates)).toEqual(byCode(expected));
        const want = selfQuote ? ['self_quote'] : [];
        if (expected.length === 0) want.push('no_rates');
        expect(reasons(result)).toEqual(want);
      }),
      { numRuns: 1000 },
    );
  });

  it('drops only the currency whose value is spoiled (500 payloads)', () => {
    fc.assert(
      fc.property(spec.payload, fc.nat(), evilValue, ({ json: generated, expected }, pick, value) => {
        fc.pre(expected.length > 0);
        const victim = expected[pick % expected.length]?.currency ?? '';
        const json = structuredClone(generated); // fast-check reuses generated values while shrinking
        spec.setRate(json, victim, structuredClone(value));
        const result = adapter.parse(ok(serialize(json)));
        expectWellFormed(result);
        const others = expected.filter((r) => r.currency !== victim);
        // A spoiled value may still happen to be a valid price (e.g. "{}" is not, but 5 would be); the others
        // must be untouched either way.
        expect(byCode(result.rates.filter((r) => r.currency !== victim))).toEqual(byCode(others));
        const mine = result.rates.filter((r) => r.currency === victim);
        if (mine.length === 0) expect(result.rejections.some((r) => r.currency === victim)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('calls every cut-off valid body `truncated` (300 cuts)', () => {
    fc.assert(
      fc.property(spec.payload, fc.nat(), ({ json }, at) => {
        const body = JSON.stringify(json);
        const cut = body.slice(0, 1 + (at % (body.length - 1)));
        expect(adapter.parse(ok(cut)).rejections).toMatchObject([{ currency: null, reason: 'truncated' }]);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and keeps its invariants on mutated responses (2000 responses)', () => {
    fc.assert(
      fc.property(mutatedResponse(spec), (res) => {
        const result = adapter.parse(res);
        expectWellFormed(result);
        if (res.status < 200 || res.status > 299) {
          expect(result.rates).toEqual([]);
          const reason = { 429: 'rate_limited', 451: 'unavailable_here' }[res.status] ?? 'http_status';
          expect(reasons(result)).toEqual([reason]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('normalized, every rejection is stored with a reason from the fixed list, and so is a poll that rejected anything (2000 responses)', () => {
    const minute = Date.UTC(2030, 0, 1, 0, 0);
    fc.assert(
      fc.property(mutatedResponse(spec), (res) => {
        const over = { status: res.status, headers: res.headers, body: res.body };
        const env = { ...envelope(name, minute, over), url: spec.url ?? `http://127.0.0.1/${name}` };
        const n = normalize(env, adapter, new Map());
        const rows = rejectionRows(n.poll, n.rejections);
        expect(rows).toHaveLength(n.rejections.length);
        for (const r of rows) expect(REJECTION_REASONS).toContain(r.reason);
        const real = rows.filter((r) => !FILTERED_REASONS.has(r.reason));
        expect(n.poll.rejected).toBe(real.length);
        if (real.length > 0) expect(n.poll.reason).toBe(real[0]?.reason);
        else expect([n.poll.reason, n.poll.error]).toEqual(['', '']);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (body) =>
        expectWellFormed(adapter.parse(ok(body))),
      ),
      { numRuns: 300 },
    );
  });
});
