/**
 * Pure renderers of each API's response body for one minute of the walk, byte for byte in the shape (and with
 * the traps) of the real API: glyph-or-code symbols, decimal strings with a self quote, lower-case keys with
 * companions and a cached quote time, thousands separators and HTML entities.
 */
import { BLOCKCHAIN_CODES, COINBASE_CODES, COINDESK_CODES, COINGECKO_CODES } from './currencies.ts';
import { formatPrice, priceAt, roundPrice, unitHash } from './walk.ts';

const MINUTE_MS = 60_000;

const GLYPHS: Readonly<Record<string, string>> = {
  ...{ USD: '$', ARS: '$', AUD: '$', BRL: 'R$', CAD: '$', CLP: '$', CNY: '¥', CZK: 'Kč', DKK: 'kr' },
  ...{ EUR: '€', GBP: '£', HKD: '$', HRK: 'kn', HUF: 'Ft', INR: '₹', ISK: 'kr', JPY: '¥', KRW: '₩' },
  ...{ NGN: '₦', NZD: '$', PLN: 'zł', RON: 'lei', SEK: 'kr', SGD: '$', THB: '฿', TRY: '₺', TWD: 'NT$' },
};

export type BlockchainOptions = { codes?: readonly string[]; symbols?: 'glyph' | 'code' };

/**
 * blockchain.info/ticker in its own spacing. `15m` is the price 15 minutes earlier; `buy` and `sell` equal
 * `last`, as in the real responses. `symbols: 'glyph'` mimics older responses ("R$"), 'code' newer ones.
 */
export function renderBlockchain(minute: number, seed: number, options: BlockchainOptions = {}): string {
  const codes = options.codes ?? BLOCKCHAIN_CODES;
  const lines = codes.map((code) => {
    const last = priceAt(seed, code, minute);
    const m15 = priceAt(seed, code, minute - 15 * MINUTE_MS);
    const symbol = options.symbols === 'glyph' ? (GLYPHS[code] ?? code) : code;
    const fields = `"15m" : ${m15}, "last" : ${last}, "buy" : ${last}, "sell" : ${last}`;
    return `  ${JSON.stringify(code)} : {${fields}, "symbol" : ${JSON.stringify(symbol)}}`;
  });
  return `{\n${lines.join(',\n')}\n}`;
}

/** Coinbase v2 exchange-rates for currency=BTC: decimal strings in code order, "BTC": "1.00000000" included. */
export function renderCoinbase(
  minute: number,
  seed: number,
  codes: readonly string[] = COINBASE_CODES,
): string {
  const rates: Record<string, string> = {};
  for (const code of codes)
    rates[code] = code === 'BTC' ? '1.00000000' : formatPrice(priceAt(seed, code, minute));
  return JSON.stringify({ data: { currency: 'BTC', rates } });
}

/** What a simple/price request asks for (lower-case ids and vs_currencies, in request order). */
export type CoingeckoQuery = {
  ids: string[];
  vsCurrencies: string[];
  includeLastUpdatedAt: boolean;
  include24hrChange: boolean;
  includeMarketCap: boolean;
  include24hrVol: boolean;
};

/** Read a simple/price query string the way CoinGecko does, or say what is missing. */
export function parseCoingeckoQuery(params: URLSearchParams): CoingeckoQuery | { error: string } {
  const list = (name: string) => [
    ...new Set(
      (params.get(name) ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== ''),
    ),
  ];
  const flag = (name: string) => params.get(name)?.toLowerCase() === 'true';
  const ids = list('ids');
  const vsCurrencies = list('vs_currencies');
  if (ids.length === 0) return { error: 'Missing parameter ids' };
  if (vsCurrencies.length === 0) return { error: 'Missing parameter vs_currencies' };
  return {
    ids,
    vsCurrencies,
    includeLastUpdatedAt: flag('include_last_updated_at'),
    include24hrChange: flag('include_24hr_change'),
    includeMarketCap: flag('include_market_cap'),
    include24hrVol: flag('include_24hr_vol'),
  };
}

/** CoinGecko's cache: its quote time trails the minute by 0-59 s, whole seconds, fixed per minute. */
export function coingeckoQuoteTime(seed: number, minute: number): number {
  return minute - Math.floor(unitHash(seed, 'coingecko-age', minute) * 60) * 1000;
}

/** True when the response to `query` carries at least one real price (not `{}`, not only btc in btc). */
export function coingeckoHasRates(query: CoingeckoQuery): boolean {
  return (
    query.ids.includes('bitcoin') &&
    query.vsCurrencies.some((c) => c !== 'btc' && COINGECKO_CODES.includes(c))
  );
}

/**
 * CoinGecko simple/price: only the known ids (just "bitcoin", else `{}`) and only the supported vs_currencies
 * asked for, each followed by the companions asked for, then `last_updated_at` in Unix seconds.
 */
export function renderCoingecko(minute: number, seed: number, query: CoingeckoQuery): string {
  if (!query.ids.includes('bitcoin')) return '{}';
  const coin: Record<string, number> = {};
  for (const vs of query.vsCurrencies) {
    if (!COINGECKO_CODES.includes(vs)) continue;
    const code = vs.toUpperCase();
    const price = priceAt(seed, code, minute);
    coin[vs] = price;
    if (query.includeMarketCap) coin[`${vs}_market_cap`] = roundPrice(price * 19_700_000);
    if (query.include24hrVol)
      coin[`${vs}_24h_vol`] = roundPrice(
        price * (200_000 + 400_000 * unitHash(seed, 'coingecko-vol', minute)),
      );
    if (query.include24hrChange) {
      const before = priceAt(seed, code, minute - 1440 * MINUTE_MS);
      coin[`${vs}_24h_change`] = Math.round(((price - before) / before) * 1e10) / 1e8;
    }
  }
  if (query.includeLastUpdatedAt) coin.last_updated_at = coingeckoQuoteTime(seed, minute) / 1000;
  return JSON.stringify({ bitcoin: coin });
}

/** CoinDesk's index time: a few seconds into the minute before the one served, whole seconds. */
export function coindeskQuoteTime(seed: number, minute: number): number {
  return minute - MINUTE_MS + (5 + Math.floor(unitHash(seed, 'coindesk-age', minute) * 50)) * 1000;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CoinDesk BPI v1 currentprice: `rate` with thousands separators (not to be parsed), `rate_float` the price. */
export function renderCoindesk(minute: number, seed: number): string {
  const d = new Date(coindeskQuoteTime(seed, minute));
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  const time = {
    updated: `${day} ${hm}:${pad(d.getUTCSeconds())} UTC`,
    updatedISO: d.toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    updateduk: `${day} at ${hm} GMT`,
  };
  const bpi: Record<string, unknown> = {};
  for (const { code, symbol, description } of COINDESK_CODES) {
    const price = priceAt(seed, code, minute);
    bpi[code] = { code, symbol, rate: withThousands(price.toFixed(4)), description, rate_float: price };
  }
  return JSON.stringify({
    time,
    disclaimer:
      'This data was produced from the CoinDesk Bitcoin Price Index (USD). Non-USD currency data converted using hourly conversion rate from openexchangerates.org',
    chartName: 'Bitcoin',
    bpi,
  });
}

/** "99009.2600" -> "99,009.2600", independent of the host's locale. */
function withThousands(fixed: string): string {
  const [int = '', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** The quote currencies the fake venues list for BTC. */
export const VENUE_QUOTES: readonly string[] = ['USD', 'EUR', 'GBP', 'USDC', 'USDT'];

/** A venue's last trade: a hair off the walk (a few basis points, fixed per venue and minute), at cents. */
export function venuePrice(seed: number, venue: string, quote: string, minute: number): number {
  const offset = (unitHash(seed, `${venue}-${quote}`, minute) - 0.5) * 0.001;
  return Math.round(priceAt(seed, quote, minute) * (1 + offset) * 100) / 100;
}

/** Kraken's own name of a BTC pair: the legacy X/Z-prefixed form for fiat (XXBTZUSD), plain for stablecoins. */
export function krakenPairName(quote: string): string {
  return quote.startsWith('USD') && quote !== 'USD' ? `XBT${quote}` : `XXBTZ${quote}`;
}

/** Kraken Ticker for the asked pairs (XBTUSD, XBTUSDT, ...), keyed by Kraken's own names; null for an unknown pair. */
export function renderKraken(minute: number, seed: number, pairs: readonly string[]): string | null {
  const result: Record<string, unknown> = {};
  for (const asked of pairs) {
    const quote = asked.replace(/^X?XBTZ?/, '');
    if (!asked.includes('XBT') || !VENUE_QUOTES.includes(quote)) return null;
    const last = venuePrice(seed, 'kraken', quote, minute).toFixed(5);
    const day = [last, last];
    result[krakenPairName(quote)] = {
      ...{ a: [last, '1', '1.000'], b: [last, '2', '2.000'], c: [last, '0.01686188'] },
      ...{ v: ['1414.57420708', '1686.74719574'], p: day, t: [20034, 23808], l: day, h: day, o: last },
    };
  }
  return JSON.stringify({ error: [], result });
}

/** Bitstamp's all-pairs ticker: every value a string, `timestamp` in Unix seconds; other assets' pairs too. */
export function renderBitstamp(minute: number, seed: number): string {
  const at = String(Math.floor(minute / 1000) - 1 - Math.floor(unitHash(seed, 'bitstamp-age', minute) * 30));
  const ticker = (pair: string, last: string) => ({
    ...{ timestamp: at, open: last, high: last, low: last, last, volume: '3166.27982724', vwap: last },
    ...{
      bid: last,
      ask: last,
      side: '0',
      open_24: last,
      percent_change_24: '0.00',
      pair,
      market_type: 'SPOT',
    },
  });
  const eth = formatPrice(priceAt(seed, 'USD', minute) / priceAt(seed, 'ETH', minute));
  return JSON.stringify([
    ...VENUE_QUOTES.map((q) => ticker(`BTC/${q}`, String(venuePrice(seed, 'bitstamp', q, minute)))),
    ticker('ETH/USD', eth),
  ]);
}

/** Coinbase Exchange's ticker of one product (BTC-USD); `time` with microseconds; null for an unknown product. */
export function renderCoinbaseExchange(minute: number, seed: number, product: string): string | null {
  const quote = /^BTC-([A-Z]+)$/.exec(product)?.[1] ?? '';
  if (!VENUE_QUOTES.includes(quote)) return null;
  const price = venuePrice(seed, 'coinbase_exchange', quote, minute).toFixed(2);
  const time = new Date(minute - 1_500).toISOString().replace('Z', '123Z');
  const trade = Math.floor(minute / 1000) - 1_500_000_000;
  return JSON.stringify({
    ask: price,
    bid: price,
    volume: '53602.03940154',
    trade_id: trade,
    price,
    size: '0.01',
    time,
  });
}

/** Gemini's pubticker of one symbol (btcusd): `volume` keyed by the pair's codes plus a ms timestamp. */
export function renderGemini(minute: number, seed: number, symbol: string): string | null {
  const quote = /^btc([a-z]+)$/.exec(symbol)?.[1]?.toUpperCase() ?? '';
  if (!VENUE_QUOTES.includes(quote)) return null;
  const last = venuePrice(seed, 'gemini', quote, minute).toFixed(2);
  const volume = { BTC: '2210.505328803', [quote]: '2135477.463379586263', timestamp: minute - 2_000 };
  return JSON.stringify({ bid: last, ask: last, last, volume });
}

/** Binance ticker/price for `symbols` (a list) or one `symbol` (an object); null for an unknown symbol. */
export function renderBinance(
  minute: number,
  seed: number,
  symbols: readonly string[],
  list: boolean,
): string | null {
  const quotes = symbols.map((s) => /^BTC([A-Z]+)$/.exec(s)?.[1] ?? '');
  if (quotes.some((q) => !VENUE_QUOTES.includes(q))) return null;
  const rows = quotes.map((q) => ({
    symbol: `BTC${q}`,
    price: venuePrice(seed, 'binance', q, minute).toFixed(8),
  }));
  return JSON.stringify(list ? rows : rows[0]);
}
