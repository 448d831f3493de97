import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADAPTERS } from '../../../ingest/sources/index.ts';
import type { SourceName } from '../../../common/types.ts';
import {
  renderBinance,
  renderBitstamp,
  renderBlockchain,
  renderCoinbase,
  renderCoinbaseExchange,
  renderCoindesk,
  renderCoingecko,
  renderGemini,
  renderKraken,
} from '../../../fakes/formats.ts';
import { makeFakeApi, type FakeApi, type ServedResponse } from '../../../fakes/server.ts';

const MINUTE = Date.UTC(2025, 5, 1, 12, 0);
const PATHS: Record<SourceName, string> = {
  blockchain: '/blockchain/ticker',
  coinbase: '/coinbase/v2/exchange-rates?currency=BTC',
  coingecko:
    '/coingecko/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur,gbp,jpy&include_last_updated_at=true',
  coindesk: '/coindesk/v1/bpi/currentprice.json',
  kraken: '/kraken/0/public/Ticker?pair=XBTUSD,XBTUSDC,XBTUSDT',
  bitstamp: '/bitstamp/api/v2/ticker/',
  coinbase_exchange: '/coinbase_exchange/products/BTC-USD/ticker',
  gemini: '/gemini/v1/pubticker/btcusd',
  binance: '/binance/api/v3/ticker/price?symbols=%5B%22BTCUSD%22,%22BTCUSDT%22,%22BTCUSDC%22%5D',
};

type Got = { status: number; headers: Headers; text: string; bytes: number; url: string };

let api: FakeApi;
let base: string;
let now: number;

beforeEach(async () => {
  now = MINUTE + 1_234;
  api = makeFakeApi({ seed: 9, clock: { now: () => now } });
  base = await api.start(0);
});
afterEach(() => api.stop());

async function get(path: string, init: RequestInit = {}): Promise<Got> {
  const res = await fetch(base + path, init);
  const buf = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    text: buf.toString('utf8'),
    bytes: buf.length,
    url: res.url,
  };
}

const parse = (source: SourceName, got: Got) =>
  ADAPTERS[source].parse({
    status: got.status,
    headers: Object.fromEntries(got.headers),
    body: got.text,
    url: got.url,
  });

/** The record for a response must be exactly what the client received. */
function expectRecorded(rec: ServedResponse | undefined, got: Got): void {
  expect(rec).toBeDefined();
  expect(rec?.status).toBe(got.status);
  expect(rec?.body).toBe(got.text);
  expect(Number(rec?.headers['content-length'])).toBe(got.bytes);
  expect(got.headers.get('content-length')).toBe(String(got.bytes));
}

describe('fake rate API server', () => {
  it('serves each route at the clock minute, byte for byte the renderer output, and records it', async () => {
    const expected: Record<SourceName, string> = {
      blockchain: renderBlockchain(MINUTE, 9, { symbols: 'glyph' }), // even minute index
      coinbase: renderCoinbase(MINUTE, 9),
      coingecko: renderCoingecko(MINUTE, 9, {
        ids: ['bitcoin'],
        vsCurrencies: ['usd', 'eur', 'gbp', 'jpy'],
        includeLastUpdatedAt: true,
        include24hrChange: false,
        includeMarketCap: false,
        include24hrVol: false,
      }),
      coindesk: renderCoindesk(MINUTE, 9),
      kraken: renderKraken(MINUTE, 9, ['XBTUSD', 'XBTUSDC', 'XBTUSDT'])!,
      bitstamp: renderBitstamp(MINUTE, 9),
      coinbase_exchange: renderCoinbaseExchange(MINUTE, 9, 'BTC-USD')!,
      gemini: renderGemini(MINUTE, 9, 'btcusd')!,
      binance: renderBinance(MINUTE, 9, ['BTCUSD', 'BTCUSDT', 'BTCUSDC'], true)!,
    };
    for (const [i, source] of (Object.keys(PATHS) as SourceName[]).entries()) {
      const got = await get(PATHS[source]);
      expect(got.status).toBe(200);
      expect(got.text).toBe(expected[source]);
      expect(got.headers.get('content-type')).toMatch(/^application\/json/);
      expectRecorded(api.served[i], got);
      expect(api.served[i]).toMatchObject({ source, minute: MINUTE, valid: true, fault: null, at: now });
      const { rates, rejections } = parse(source, got);
      expect(rates.length).toBeGreaterThan(0);
      expect(rejections.filter((r) => r.reason !== 'self_quote')).toEqual([]);
    }
  });

  it('serves each venue the quote currencies asked for, under their own pair names', async () => {
    const currencies = async (source: SourceName) =>
      parse(source, await get(PATHS[source])).rates.map((r) => r.currency);
    expect(await currencies('kraken')).toEqual(['USD', 'USDC', 'USDT']);
    expect(Object.keys(JSON.parse((await get(PATHS.kraken)).text).result)).toEqual([
      'XXBTZUSD',
      'XBTUSDC',
      'XBTUSDT',
    ]);
    expect(await currencies('bitstamp')).toEqual(['USD', 'EUR', 'GBP', 'USDC', 'USDT']);
    expect(await currencies('coinbase_exchange')).toEqual(['USD']);
    expect(await currencies('gemini')).toEqual(['USD']);
    expect(await currencies('binance')).toEqual(['USD', 'USDT', 'USDC']);
    const one = await get('/binance/api/v3/ticker/price?symbol=BTCUSDT');
    expect(parse('binance', one).rates.map((r) => r.currency)).toEqual(['USDT']);
  });

  it("answers each venue's own error to what it does not list", async () => {
    const kraken = await get('/kraken/0/public/Ticker?pair=ETHUSD');
    expect([kraken.status, kraken.text]).toEqual([200, '{"error":["EQuery:Unknown asset pair"]}']);
    expect(parse('kraken', kraken).rejections[0]?.reason).toBe('bad_shape');
    const binance = await get('/binance/api/v3/ticker/price?symbols=%5B%22BTCXYZ%22%5D');
    expect([binance.status, JSON.parse(binance.text)]).toEqual([
      400,
      { code: -1121, msg: 'Invalid symbol.' },
    ]);
    api.inject('binance', { kind: 'status', status: 451 });
    const restricted = await get(PATHS.binance);
    expect(restricted.status).toBe(451);
    expect(parse('binance', restricted).rejections.map((r) => r.reason)).toEqual(['unavailable_here']);
  });

  it('follows the injected clock from minute to minute', async () => {
    const first = await get(PATHS.coindesk);
    now += 60_000;
    const second = await get(PATHS.coindesk);
    expect(second.text).toBe(renderCoindesk(MINUTE + 60_000, 9));
    expect(second.text).not.toBe(first.text);
    expect(api.served.map((s) => s.minute)).toEqual([MINUTE, MINUTE + 60_000]);
  });

  it('answers like the real APIs to odd requests', async () => {
    const unknownId = await get('/coingecko/api/v3/simple/price?ids=notacoin&vs_currencies=usd');
    expect([unknownId.status, unknownId.text]).toEqual([200, '{}']);
    expect(parse('coingecko', unknownId).rejections[0]?.reason).toBe('no_rates');
    expect((await get('/coingecko/api/v3/simple/price?ids=bitcoin')).status).toBe(400);
    expect((await get('/coinbase/v2/exchange-rates?currency=USD')).status).toBe(400);
    expect(api.served.map((s) => s.valid)).toEqual([false, false, false]);
    expect((await get('/nope')).status).toBe(404);
    expect((await get(PATHS.coindesk, { method: 'POST' })).status).toBe(405);
    expect(api.served).toHaveLength(3);
  });

  it('consumes queued faults one per request, per source', async () => {
    api.inject('coinbase', { kind: 'status', status: 500 }, 2);
    expect((await get(PATHS.blockchain)).status).toBe(200);
    expect((await get(PATHS.coinbase)).status).toBe(500);
    expect((await get(PATHS.coinbase)).status).toBe(500);
    expect((await get(PATHS.coinbase)).status).toBe(200);
    expect(api.served.map((s) => [s.source, s.status, s.fault, s.valid])).toEqual([
      ['blockchain', 200, null, true],
      ['coinbase', 500, 'status', false],
      ['coinbase', 500, 'status', false],
      ['coinbase', 200, null, true],
    ]);
  });

  it('rate_limit: 429 with Retry-After and a Coinbase-style error body', async () => {
    api.inject('coinbase', { kind: 'rate_limit', retryAfterSeconds: 7 });
    const got = await get(PATHS.coinbase);
    expect(got.status).toBe(429);
    expect(got.headers.get('retry-after')).toBe('7');
    expect(JSON.parse(got.text)).toEqual({
      errors: [{ id: 'rate_limit_exceeded', message: 'Too many requests' }],
    });
    expect(parse('coinbase', got).rejections.map((r) => r.reason)).toEqual(['rate_limited']);
    expectRecorded(api.served[0], got);
  });

  it('truncated: half the body, with a content-length that matches what is sent', async () => {
    api.inject('blockchain', { kind: 'truncated' });
    const got = await get(PATHS.blockchain);
    const full = renderBlockchain(MINUTE, 9, { symbols: 'glyph' });
    expect(got.text).toBe(full.slice(0, Math.floor(full.length / 2)));
    expectRecorded(api.served[0], got);
    expect(api.served[0]?.valid).toBe(false);
    expect(parse('blockchain', got).rejections.map((r) => r.reason)).toEqual(['truncated']);
  });

  it('malformed: broken but complete JSON', async () => {
    api.inject('coindesk', { kind: 'malformed' });
    const got = await get(PATHS.coindesk);
    expect(got.status).toBe(200);
    expect(parse('coindesk', got).rejections.map((r) => r.reason)).toEqual(['not_json']);
    expectRecorded(api.served[0], got);
  });

  it('html: an error page with status 502 or 200', async () => {
    api.inject('coingecko', { kind: 'html' });
    api.inject('coingecko', { kind: 'html', status: 200 });
    const bad = await get(PATHS.coingecko);
    const sneaky = await get(PATHS.coingecko);
    expect([bad.status, sneaky.status]).toEqual([502, 200]);
    expect(sneaky.headers.get('content-type')).toBe('text/html');
    expect(sneaky.text).toContain('<title>502 Bad Gateway</title>');
    expect(parse('coingecko', bad).rejections.map((r) => r.reason)).toEqual(['http_status']);
    expect(parse('coingecko', sneaky).rejections.map((r) => r.reason)).toEqual(['html_page']);
  });

  it('huge: a body of exactly the asked size', async () => {
    api.inject('blockchain', { kind: 'huge', bytes: 3_000_000 });
    const got = await get(PATHS.blockchain);
    expect(got.bytes).toBe(3_000_000);
    expectRecorded(api.served[0], got);
    expect(api.served[0]?.valid).toBe(false);
  });

  it('slow: the normal body after the delay', async () => {
    api.inject('coindesk', { kind: 'slow', ms: 300 });
    const t0 = performance.now();
    const got = await get(PATHS.coindesk);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(got.text).toBe(renderCoindesk(MINUTE, 9));
    expect(api.served[0]).toMatchObject({ fault: 'slow', valid: true });
  });

  it('slow past the client timeout: nothing sent, nothing recorded', async () => {
    api.inject('coindesk', { kind: 'slow', ms: 400 });
    await expect(get(PATHS.coindesk, { signal: AbortSignal.timeout(100) })).rejects.toThrow();
    await vi.waitFor(() => expect(api.inFlight()).toBe(0));
    expect(api.served).toEqual([]);
  });

  it('hang: never answers, and stop() still returns promptly', async () => {
    api.inject('blockchain', { kind: 'hang' }, 2);
    await expect(get(PATHS.blockchain, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    const pending = get(PATHS.blockchain);
    const caught = pending.catch((err: unknown) => err);
    await vi.waitFor(() => expect(api.inFlight()).toBe(1));
    const t0 = performance.now();
    await api.stop();
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await caught).toBeInstanceOf(Error);
    expect(api.served).toEqual([]);
  });

  it('takes faults and reports served responses over the control endpoints', async () => {
    const post = (body: unknown) =>
      fetch(`${base}/_control/fault`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(await post({ source: 'coindesk', fault: { kind: 'status', status: 503 }, count: 2 })).toEqual({
      status: 200,
      body: { queued: 2 },
    });
    const refused = await post({ source: 'bitfinex', fault: { kind: 'slow' } });
    expect(refused.status).toBe(400);
    expect(String(refused.body.error)).toMatch(/source: .*fault\.ms: /);
    expect((await fetch(`${base}/_control/fault`, { method: 'POST', body: '{' })).status).toBe(400);

    await get(PATHS.coindesk);
    now += 60_000;
    await get(PATHS.coindesk);
    await get(PATHS.coindesk);
    const all = (await (await fetch(`${base}/_control/served`)).json()) as ServedResponse[];
    expect(all).toEqual(api.served);
    expect(all.map((s) => s.status)).toEqual([503, 503, 200]);
    const since = (await (
      await fetch(`${base}/_control/served?since=${MINUTE + 1_234}`)
    ).json()) as ServedResponse[];
    expect(since).toHaveLength(2);
  });

  it('keeps at most maxServed records, dropping the oldest', async () => {
    await api.stop();
    api = makeFakeApi({ seed: 9, clock: { now: () => now }, maxServed: 2 });
    base = await api.start(0);
    for (let i = 0; i < 3; i++) {
      await get(PATHS.coindesk);
      now += 60_000;
    }
    expect(api.served.map((s) => s.minute)).toEqual([MINUTE + 60_000, MINUTE + 120_000]);
  });
});
