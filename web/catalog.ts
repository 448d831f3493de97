/**
 * The sources and currencies with data, for the selectors and for validating requests; cached for `ttlMs`.
 * An unknown name re-reads early, at most every `minRefreshMs`, so made-up names cannot flood QuestDB.
 */
import type { Clock } from '../common/types.ts';
import type { SeriesKey, WebQueries } from '../sql/web.ts';
import { ParamError } from './params.ts';

export type CatalogData = {
  /** Sources with data first (sorted), then known sources without data. */
  sources: string[];
  /** Currencies with data, per source, sorted. */
  currenciesBySource: Map<string, string[]>;
  knownSources: Set<string>;
  knownCurrencies: Set<string>;
  /** No rates at all yet: a fresh install waiting for its first poll. */
  empty: boolean;
};

export type Catalog = {
  get(): Promise<CatalogData>;
  /** The series a request names, or the default one; throws ParamError for unknown names. */
  resolve(p: { source?: string; currency?: string }): Promise<{ key: SeriesKey | null; data: CatalogData }>;
};

const PREFERRED_SOURCE = 'blockchain';
const PREFERRED_CURRENCY = 'USD';

/** The catalog as plain data. Pure. */
export function buildCatalog(keys: SeriesKey[], sourceIds: string[], currencyCodes: string[]): CatalogData {
  const bySource = new Map<string, Set<string>>();
  for (const k of keys) {
    const set = bySource.get(k.source) ?? new Set<string>();
    set.add(k.currency);
    bySource.set(k.source, set);
  }
  const withData = [...bySource.keys()].sort();
  const withoutData = [...new Set(sourceIds)].filter((s) => !bySource.has(s)).sort();
  return {
    sources: [...withData, ...withoutData],
    currenciesBySource: new Map(withData.map((s) => [s, [...bySource.get(s)!].sort()])),
    knownSources: new Set([...withData, ...sourceIds]),
    knownCurrencies: new Set([...keys.map((k) => k.currency), ...currencyCodes]),
    empty: keys.length === 0,
  };
}

/** The series shown when a request names none: blockchain/USD when it has data, else the first there is. */
export function defaultSeries(data: CatalogData, source?: string, currency?: string): SeriesKey | null {
  const withData = [...data.currenciesBySource.keys()];
  const s =
    source ??
    (data.currenciesBySource.has(PREFERRED_SOURCE) ? PREFERRED_SOURCE : withData[0]) ??
    data.sources[0];
  if (s === undefined) return null;
  // A source without data yet still gets a currency, so its page says "no data" rather than nothing.
  const list = data.currenciesBySource.get(s) ?? [...data.knownCurrencies].sort();
  const c = currency ?? (list.includes(PREFERRED_CURRENCY) ? PREFERRED_CURRENCY : list[0]);
  if (c === undefined) return null;
  return { source: s, currency: c };
}

export function makeCatalog(deps: {
  queries: Pick<WebQueries, 'seriesKeys' | 'sourceIds' | 'currencyCodes'>;
  clock: Clock;
  ttlMs?: number;
  minRefreshMs?: number;
}): Catalog {
  const { queries, clock, ttlMs = 30_000, minRefreshMs = 5_000 } = deps;
  let cached: { at: number; data: CatalogData } | null = null;
  let loading: Promise<CatalogData> | null = null;

  const load = (): Promise<CatalogData> => {
    // Concurrent requests share one read.
    loading ??= (async () => {
      try {
        const now = clock.now();
        const [keys, sourceIds, codes] = await Promise.all([
          queries.seriesKeys(now - 2 * 86_400_000),
          queries.sourceIds(),
          queries.currencyCodes(),
        ]);
        const data = buildCatalog(keys, sourceIds, codes);
        cached = { at: now, data };
        return data;
      } finally {
        loading = null;
      }
    })();
    return loading;
  };

  const get = async (): Promise<CatalogData> =>
    cached && clock.now() - cached.at < ttlMs ? cached.data : load();

  return {
    get,
    async resolve(p) {
      let data = await get();
      const unknown = (d: CatalogData) =>
        (p.source !== undefined && !d.knownSources.has(p.source)) ||
        (p.currency !== undefined && !d.knownCurrencies.has(p.currency));
      if (unknown(data) && cached && clock.now() - cached.at >= minRefreshMs) data = await load();
      if (p.source !== undefined && !data.knownSources.has(p.source))
        throw new ParamError(`unknown source "${p.source}"`);
      if (p.currency !== undefined && !data.knownCurrencies.has(p.currency))
        throw new ParamError(`unknown currency "${p.currency}"`);
      return { key: defaultSeries(data, p.source, p.currency), data };
    },
  };
}
