/** The processes `npm start` runs, in start order; entries that do not exist yet are skipped. */
import type { Config } from '../common/config.ts';
import { SOURCE_NAMES, type SourceName } from '../common/types.ts';

export type ServiceSpec = { name: string; entry: string; demoOnly?: boolean };

export const SERVICES: ServiceSpec[] = [
  { name: 'fake-api', entry: 'fakes/main.ts', demoOnly: true },
  { name: 'poller', entry: 'ingest/main.ts' },
  { name: 'jobs', entry: 'jobs/main.ts' },
  { name: 'forecaster', entry: 'forecast/main.ts' },
  { name: 'web', entry: 'web/main.ts' },
];

/** Restart delays of a service that exits: the first, and the most a crash loop backs off to. */
export const RESTART_MIN_MS = 2_000;
export const RESTART_MAX_MS = 60_000;
/** A service that ran this long before exiting is restarted at the shortest delay again. */
export const RESTART_STABLE_MS = 60_000;

/** Delay before restarting a service that ran `ranMs`: the minimum after a long run, else twice the last. */
export function restartDelay(previousMs: number | null, ranMs: number): number {
  if (previousMs === null || ranMs >= RESTART_STABLE_MS) return RESTART_MIN_MS;
  return Math.min(RESTART_MAX_MS, previousMs * 2);
}

/** Each source's URL on the local fake APIs (`fakes/`) served at `base`. */
export function fakeApiUrls(base: string): Record<SourceName, string> {
  return {
    blockchain: `${base}/blockchain/ticker`,
    coinbase: `${base}/coinbase/v2/exchange-rates?currency=BTC`,
    coingecko: `${base}/coingecko/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur,gbp,jpy&include_last_updated_at=true`,
    coindesk: `${base}/coindesk/v1/bpi/currentprice.json`,
    kraken: `${base}/kraken/0/public/Ticker?pair=XBTUSD,XBTUSDC,XBTUSDT`,
    bitstamp: `${base}/bitstamp/api/v2/ticker/`,
    coinbase_exchange: `${base}/coinbase_exchange/products/BTC-USD/ticker`,
    gemini: `${base}/gemini/v1/pubticker/btcusd`,
    binance: `${base}/binance/api/v3/ticker/price?symbols=%5B%22BTCUSD%22,%22BTCUSDT%22,%22BTCUSDC%22%5D`,
  };
}

/** Environment for `--demo`: every source polled from the local fake APIs instead of the internet. */
export function demoEnv(config: Config): Record<string, string> {
  const urls = fakeApiUrls(`http://127.0.0.1:${config.FAKE_API_PORT}`);
  // Each source's URL setting is its name in upper case: COINBASE_EXCHANGE_URL.
  const settings = SOURCE_NAMES.map((name) => [`${name.toUpperCase()}_URL`, urls[name]]);
  return { SOURCES: SOURCE_NAMES.join(','), ...Object.fromEntries(settings) };
}
