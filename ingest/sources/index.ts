/** The adapter of each source, by name. */
import type { SourceName } from '../../common/types.ts';
import { blockchain } from './blockchain.ts';
import { coinbase } from './coinbase.ts';
import { coindesk } from './coindesk.ts';
import { coingecko } from './coingecko.ts';
import type { SourceAdapter } from './types.ts';
import { binance, bitstamp, coinbaseExchange, gemini, kraken } from './venues.ts';

export const ADAPTERS: Record<SourceName, SourceAdapter> = {
  ...{ blockchain, coinbase, coingecko, coindesk },
  ...{ kraken, bitstamp, coinbase_exchange: coinbaseExchange, gemini, binance },
};

/** The adapter for a configured source name (the config schema already restricts names to SOURCE_NAMES). */
export function adapterFor(name: SourceName): SourceAdapter {
  return ADAPTERS[name];
}

export { checkJump } from './validate.ts';
export * from './types.ts';
