/**
 * fast-check generators for the adapter properties: valid payloads of each API's shape with the rates they must
 * yield, and the ways a response goes wrong (dropped keys, wrong types, raw NaN/Infinity, cut bodies, HTML,
 * odd statuses).
 */
import fc from 'fast-check';
import type { ParsedRate, RawResponse } from '../../../ingest/sources/types.ts';

type Json = unknown;

/** A valid payload and what parsing it must give: the rates, and whether it holds the BTC self quote. */
export type Generated = { json: Record<string, Json>; expected: ParsedRate[]; selfQuote: boolean };

/** A per-API generator plus where each currency's value lives, to spoil one currency at a time. */
export type PayloadSpec = {
  payload: fc.Arbitrary<Generated>;
  /** Replace the rate of currency `code` (as accepted, upper case) with `value`. */
  setRate(json: Record<string, Json>, code: string, value: Json): void;
  /** The request URL, for venues that name the pair only there. */
  url?: string;
};

const EARLIEST_S = Date.UTC(2009, 0, 3) / 1000;
const LATEST_S = Date.UTC(2100, 0, 1) / 1000 - 1;

const upperCodes = fc.uniqueArray(fc.stringMatching(/^[A-Z0-9]{2,10}$/), { minLength: 1, maxLength: 25 });
const lowerCodes = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{2,10}$/), { minLength: 1, maxLength: 25 });

/** Positive finite prices across the magnitudes the APIs send (satoshi-ish fractions to VND billions). */
const price = fc.oneof(
  fc.double({ min: 1e-9, max: 1e13, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 1, max: 2_000_000_000 }),
);

/** Coinbase-style decimal strings ("16016.03", "7574362", "1644.840") and their values. */
const decimalString = fc
  .tuple(fc.integer({ min: 0, max: 99_999_999_999 }), fc.option(fc.stringMatching(/^[0-9]{1,8}$/)))
  .map(([int, frac]) => (frac === null ? String(int) : `${int}.${frac}`))
  .filter((s) => Number(s) > 0);

/** Put BTC (the self quote) somewhere in the list, or not. */
function withMaybeBtc(codes: string[], btc: string): fc.Arbitrary<string[]> {
  if (codes.some((c) => c.toUpperCase() === 'BTC')) return fc.constant(codes);
  return fc.tuple(fc.boolean(), fc.nat({ max: codes.length })).map(([add, at]) => {
    if (!add) return codes;
    const out = [...codes];
    out.splice(at, 0, btc);
    return out;
  });
}

const isBtc = (code: string) => code.toUpperCase() === 'BTC';

/** blockchain.info: `{CODE: {"15m", "last", "buy", "sell", "symbol"}}`. */
export const blockchainSpec: PayloadSpec = {
  payload: upperCodes
    .chain((codes) => withMaybeBtc(codes, 'BTC'))
    .chain((codes) =>
      fc.tuple(
        fc.constant(codes),
        fc.array(fc.tuple(price, price, fc.constantFrom('$', 'R$', '€', 'kr', 'CHF', '')), {
          minLength: codes.length,
          maxLength: codes.length,
        }),
      ),
    )
    .map(([codes, values]) => {
      const json: Record<string, Json> = {};
      const expected: ParsedRate[] = [];
      codes.forEach((code, i) => {
        const [last, m15, symbol] = values[i] ?? [1, 1, ''];
        json[code] = { '15m': m15, last, buy: m15, sell: last, symbol: symbol || code };
        if (!isBtc(code)) expected.push({ currency: code, rate: last, quoteTs: null });
      });
      return { json, expected, selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    (json[code] as Record<string, Json>).last = value;
  },
};

/** Coinbase: `{"data": {"currency": "BTC", "rates": {CODE: "decimal"}}}`, often with "BTC": "1.00000000". */
export const coinbaseSpec: PayloadSpec = {
  payload: upperCodes
    .chain((codes) => withMaybeBtc(codes, 'BTC'))
    .chain((codes) =>
      fc.tuple(
        fc.constant(codes),
        fc.array(decimalString, { minLength: codes.length, maxLength: codes.length }),
      ),
    )
    .map(([codes, values]) => {
      const rates: Record<string, string> = {};
      const expected: ParsedRate[] = [];
      codes.forEach((code, i) => {
        const text = isBtc(code) ? '1.00000000' : (values[i] ?? '1');
        rates[code] = text;
        if (!isBtc(code)) expected.push({ currency: code, rate: Number(text), quoteTs: null });
      });
      return { json: { data: { currency: 'BTC', rates } }, expected, selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    ((json.data as Record<string, Json>).rates as Record<string, Json>)[code] = value;
  },
};

/** CoinGecko: `{"bitcoin": {code: n, code_24h_change: n, ..., "last_updated_at": s}}`. */
export const coingeckoSpec: PayloadSpec = {
  payload: lowerCodes
    .chain((codes) => withMaybeBtc(codes, 'btc'))
    .chain((codes) =>
      fc.tuple(
        fc.constant(codes),
        fc.array(fc.tuple(price, fc.double({ min: -100, max: 1000, noNaN: true }), fc.boolean()), {
          minLength: codes.length,
          maxLength: codes.length,
        }),
        fc.option(fc.integer({ min: EARLIEST_S, max: LATEST_S })),
      ),
    )
    .map(([codes, values, seconds]) => {
      const coin: Record<string, Json> = {};
      const quoteTs = seconds === null ? null : seconds * 1000;
      const expected: ParsedRate[] = [];
      codes.forEach((code, i) => {
        const [rate, change, extras] = values[i] ?? [1, 0, false];
        coin[code] = rate;
        if (extras) {
          coin[`${code}_market_cap`] = rate * 19_700_000;
          coin[`${code}_24h_vol`] = rate * 400_000;
        }
        coin[`${code}_24h_change`] = change;
        if (!isBtc(code)) expected.push({ currency: code.toUpperCase(), rate, quoteTs });
      });
      if (seconds !== null) coin.last_updated_at = seconds;
      return { json: { bitcoin: coin }, expected, selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    (json.bitcoin as Record<string, Json>)[code.toLowerCase()] = value;
  },
};

/** CoinDesk BPI v1: `{"time": {"updatedISO"}, "bpi": {CODE: {"rate": "1,234.5", "rate_float": n, ...}}}`. */
export const coindeskSpec: PayloadSpec = {
  payload: upperCodes
    .chain((codes) => withMaybeBtc(codes, 'BTC'))
    .chain((codes) =>
      fc.tuple(
        fc.constant(codes),
        fc.array(price, { minLength: codes.length, maxLength: codes.length }),
        fc.integer({ min: EARLIEST_S, max: LATEST_S }),
        fc.constantFrom('+00:00', 'Z', '+05:30', '-08:00'),
      ),
    )
    .map(([codes, values, seconds, zone]) => {
      const bpi: Record<string, Json> = {};
      const expected: ParsedRate[] = [];
      codes.forEach((code, i) => {
        const rate = values[i] ?? 1;
        const text = rate.toLocaleString('en-US', { maximumFractionDigits: 4 });
        bpi[code] = { code, symbol: '&#36;', rate: text, description: code, rate_float: rate };
        if (!isBtc(code)) expected.push({ currency: code, rate, quoteTs: seconds * 1000 });
      });
      const time = { updated: 'Jan 6, 2025 13:18:05 UTC', updatedISO: isoIn(seconds, zone), updateduk: 'x' };
      return { json: { time, chartName: 'Bitcoin', bpi }, expected, selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    ((json.bpi as Record<string, Json>)[code] as Record<string, Json>).rate_float = value;
  },
};

/** Venue quote codes: 1-6 distinct upper-case codes, BTC (the self quote) among them or not. */
const venueCodes = fc
  .uniqueArray(fc.stringMatching(/^[A-Z0-9]{2,10}$/), { minLength: 1, maxLength: 6 })
  .chain((codes) => withMaybeBtc(codes, 'BTC'));

/** Codes with a decimal-string price each. */
const pricedCodes = venueCodes.chain((codes) =>
  fc.tuple(fc.constant(codes), fc.array(decimalString, { minLength: codes.length, maxLength: codes.length })),
);

const expectedOf = (codes: string[], prices: string[], quoteTs: number | null): ParsedRate[] =>
  codes.flatMap((c, i) => (isBtc(c) ? [] : [{ currency: c, rate: Number(prices[i] ?? '1'), quoteTs }]));

/** Top-level lists are typed as records only to share the spec's shape; serializing treats them as lists. */
const asRecord = (list: Json[]) => list as unknown as Record<string, Json>;

/** Kraken: `{"error": [], "result": {XXBTZUSD or XBTUSDT: {"c": [last, volume], ...}}}`. */
export const krakenSpec: PayloadSpec = {
  payload: pricedCodes
    .chain(([codes, prices]) =>
      fc.tuple(
        fc.constant(codes),
        fc.constant(prices),
        fc.array(fc.boolean(), { minLength: codes.length, maxLength: codes.length }),
      ),
    )
    .map(([codes, prices, legacy]) => {
      const result: Record<string, Json> = {};
      codes.forEach((code, i) => {
        const last = prices[i] ?? '1';
        result[`${legacy[i] ? 'XXBTZ' : 'XBT'}${code}`] = {
          a: [last, '1', '1.000'],
          c: [last, '0.5'],
          o: last,
        };
      });
      const json = { error: [], result };
      return { json, expected: expectedOf(codes, prices, null), selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    const result = json.result as Record<string, Record<string, Json[]>>;
    const ticker = result[`XBT${code}`] ?? result[`XXBTZ${code}`];
    if (ticker?.c) ticker.c[0] = value;
  },
};

/** Bitstamp all pairs: `[{"pair": "BTC/USD", "last": "...", "timestamp": "<s>"}, {"pair": "ETH/USD", ...}]`. */
export const bitstampSpec: PayloadSpec = {
  payload: fc
    .tuple(pricedCodes, fc.integer({ min: EARLIEST_S, max: LATEST_S }), fc.nat({ max: 6 }))
    .map(([[codes, prices], seconds, at]) => {
      const ticker = (pair: string, last: string) => ({ timestamp: String(seconds), last, bid: last, pair });
      const list: Json[] = codes.map((c, i) => ticker(`BTC/${c}`, prices[i] ?? '1'));
      list.splice(at % (list.length + 1), 0, ticker('ETH/USD', '3000.5')); // another asset's pair: skipped
      const expected = expectedOf(codes, prices, seconds * 1000);
      return { json: asRecord(list), expected, selfQuote: codes.some(isBtc) };
    }),
  setRate(json, code, value) {
    const list = json as unknown as Record<string, Json>[];
    const ticker = list.find((t) => t.pair === `BTC/${code}`);
    if (ticker) ticker.last = value;
  },
};

/** Binance: `[{"symbol": "BTCUSDT", "price": "..."}]`. */
export const binanceSpec: PayloadSpec = {
  payload: pricedCodes.map(([codes, prices]) => {
    const list = codes.map((c, i) => ({ symbol: `BTC${c}`, price: prices[i] ?? '1' }));
    return { json: asRecord(list), expected: expectedOf(codes, prices, null), selfQuote: codes.some(isBtc) };
  }),
  setRate(json, code, value) {
    const ticker = (json as unknown as Record<string, Json>[]).find((t) => t.symbol === `BTC${code}`);
    if (ticker) ticker.price = value;
  },
};

/** Coinbase Exchange BTC-USD: `{"price": "...", "time": "<ISO, ms or µs>", ...}`; the pair is in the URL. */
export const coinbaseExchangeSpec: PayloadSpec = {
  url: 'https://api.exchange.coinbase.com/products/BTC-USD/ticker',
  payload: fc
    .tuple(decimalString, fc.integer({ min: EARLIEST_S * 1000, max: LATEST_S * 1000 }), fc.boolean())
    .map(([price, ms, micro]) => {
      const time = new Date(ms).toISOString().replace('Z', micro ? '456Z' : 'Z');
      const json = { ask: price, bid: price, volume: '1.5', trade_id: 86326522, price, size: '0.1', time };
      return { json, expected: [{ currency: 'USD', rate: Number(price), quoteTs: ms }], selfQuote: false };
    }),
  setRate(json, _code, value) {
    json.price = value;
  },
};

/** Gemini btcusd: `{"last": "...", "volume": {"BTC", "USD", "timestamp": <ms>}}`; the pair is in the URL. */
export const geminiSpec: PayloadSpec = {
  url: 'https://api.gemini.com/v1/pubticker/btcusd',
  payload: fc
    .tuple(decimalString, fc.integer({ min: EARLIEST_S * 1000, max: LATEST_S * 1000 }))
    .map(([last, ms]) => {
      const json = {
        ask: last,
        bid: last,
        last,
        volume: { BTC: '2210.5', USD: '2135477.46', timestamp: ms },
      };
      return { json, expected: [{ currency: 'USD', rate: Number(last), quoteTs: ms }], selfQuote: false };
    }),
  setRate(json, _code, value) {
    json.last = value;
  },
};

/** An ISO 8601 time with the given zone suffix for the instant `seconds`. */
function isoIn(seconds: number, zone: string): string {
  if (zone === 'Z') return new Date(seconds * 1000).toISOString().replace('.000', '');
  const sign = zone.startsWith('-') ? -1 : 1;
  const [h = 0, m = 0] = zone.slice(1).split(':').map(Number);
  const local = new Date((seconds + sign * (h * 3600 + m * 60)) * 1000).toISOString().slice(0, 19);
  return `${local}${zone}`;
}

/**
 * Tokens JSON.stringify cannot write but a broken server can, serialized in place of a marker string: legal JSON
 * that overflows or underflows, and tokens that make the whole body invalid.
 */
const RAW_JSON = ['1e999', '-1e999', '1e-400', '-0'];
const RAW_INVALID = ['NaN', 'Infinity', '-Infinity', '00', '.5', 'undefined'];
const rawMarker = (token: string) => `@@raw@@${token}@@`;

/** Values a field should never hold, each still legal JSON: wrong types, bad numbers, bad number strings. */
export const evilValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -1_000_000, max: 0 }),
  fc.double({ max: 0, noNaN: true }),
  fc.constantFrom('1,234.5', '12abc', 'NaN', 'Infinity', '-1', '0', ' 5', '1e400', '', '0x1A', '١٢٣'),
  fc.constantFrom({}, [], [1, 2], { last: 1 }),
  fc.constantFrom(...RAW_JSON).map(rawMarker),
);

/** Any bad value, including tokens that break the JSON of the whole body. */
const anyEvilValue: fc.Arbitrary<Json> = fc.oneof(evilValue, fc.constantFrom(...RAW_INVALID).map(rawMarker));

type Mutation =
  | { op: 'drop'; pick: number }
  | { op: 'replace'; pick: number; value: Json }
  | { op: 'rename'; pick: number; key: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: anyEvilValue }),
  fc.record({
    op: fc.constant('rename' as const),
    pick: fc.nat(),
    key: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('btc', 'BTC', 'usd', '__proto__', 'constructor'),
    ),
  }),
);

/** Every (parent, key) pair of a JSON tree, parents first. */
function slots(root: Json): [Record<string, Json> | Json[], string | number][] {
  const out: [Record<string, Json> | Json[], string | number][] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node))
      node.forEach((v, i) => {
        out.push([node, i]);
        walk(v);
      });
    else if (typeof node === 'object' && node !== null)
      for (const [k, v] of Object.entries(node)) {
        out.push([node as Record<string, Json>, k]);
        walk(v);
      }
  };
  walk(root);
  return out;
}

function applyMutation(root: Json, m: Mutation): Json {
  const all = slots(root);
  // Values are cloned in: fast-check hands out shared instances, and later mutations would edit them.
  if (all.length === 0) return m.op === 'replace' ? structuredClone(m.value) : root;
  const [parent, key] = all[m.pick % all.length] as [Record<string, Json>, string];
  if (m.op === 'drop') delete parent[key];
  else if (m.op === 'replace') parent[key] = structuredClone(m.value);
  else {
    const v = parent[key];
    delete parent[key];
    // An array's `length` cannot take a value (Bitstamp answers with an array): that rename is a drop.
    if (!(Array.isArray(parent) && m.key === 'length'))
      Object.defineProperty(parent, m.key, {
        value: v,
        enumerable: true,
        configurable: true,
        writable: true,
      });
  }
  return root;
}

/** Serialize, writing raw tokens where markers were put. */
export function serialize(json: Json): string {
  return (JSON.stringify(json) ?? 'undefined').replace(/"@@raw@@(.*?)@@"/g, '$1');
}

type TextMutation =
  | { op: 'none' }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'replace'; text: string };

const HTML = '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      text: fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom(',', '}', '"', '\\', '<', '\uFEFF', 'NaN')),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('replace' as const),
      text: fc.oneof(
        fc.constantFrom(HTML, '', '   ', 'null', '[]', '"text"', '0', 'true', '{}', '\uFEFF{}'),
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
      ),
    }),
  },
);

function applyText(body: string, m: TextMutation): string {
  switch (m.op) {
    case 'none':
      return body;
    case 'truncate':
      return body.slice(0, m.at % (body.length + 1));
    case 'insert': {
      const at = m.at % (body.length + 1);
      return body.slice(0, at) + m.text + body.slice(at);
    }
    case 'replace':
      return m.text;
  }
}

const status = fc.oneof(
  { weight: 4, arbitrary: fc.constant(200) },
  { weight: 1, arbitrary: fc.constantFrom(201, 204, 301, 400, 404, 429, 451, 500, 502, 503) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 1000 }) },
);

const headers = fc.constantFrom<Record<string, string>>(
  { 'content-type': 'application/json' },
  { 'Content-Type': 'application/json; charset=utf-8' },
  { 'content-type': 'text/html' },
  { 'content-type': 'text/plain' },
  {},
);

/** A response built from a valid payload by zero to three structural mutations, a text mutation and a status. */
export function mutatedResponse(spec: PayloadSpec): fc.Arbitrary<RawResponse> {
  return fc
    .tuple(spec.payload, fc.array(mutation, { maxLength: 3 }), textMutation, status, headers)
    .map(([g, muts, text, code, hdrs]) => {
      let json: Json = structuredClone(g.json);
      for (const m of muts) json = applyMutation(json, m);
      return { status: code, headers: hdrs, body: applyText(serialize(json), text), url: spec.url };
    });
}
