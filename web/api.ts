/** The pages' data for scripts: JSON, or CSV with `format=csv`; the pages' parameters; times ISO 8601 UTC. */
import { Hono, type Context } from 'hono';
import { loadAggregates, parseAggregatesRequest } from './pages/aggregates.tsx';
import { loadForecast } from './pages/forecast.tsx';
import { loadHealth, sourceRows } from './pages/health.tsx';
import { loadHistory, parseHistoryRequest } from './pages/history.tsx';
import type { AreaDeps } from './context.ts';
import { toCsv } from './format.ts';
import { ParamError, parseQuery, RANGES, type TimeRange } from './params.ts';

const RANGE_CHOICES = [...Object.keys(RANGES), 'custom'].join('|');

type Row = Record<string, unknown>;

type Answer = { name: string; columns: string[]; rows: Row[]; extra?: Row; json?: Row; status?: 200 | 503 };
type Endpoint = { path: string; params: string; what: string; answer(q: URLSearchParams): Promise<Answer> };

/** A GET handler: `format` split off the page's own parameters, the answer as JSON or CSV. */
const handler = (answer: Endpoint['answer']) => async (c: Context) => {
  const q = new URLSearchParams();
  const f = new URLSearchParams();
  for (const [k, v] of new URL(c.req.url).searchParams) (k === 'format' ? f : q).append(k, v);
  const { format } = parseQuery(f, ['format']);
  const a = await answer(q);
  if (format !== 'csv') return c.json(a.json ?? { ...a.extra, rows: a.rows }, a.status ?? 200);
  c.header('Content-Type', 'text/csv; charset=utf-8');
  c.header('Content-Disposition', `inline; filename="${a.name}.csv"`);
  return c.body(toCsv(a.columns, a.rows));
};

function need<T>(key: T | null): T {
  if (!key) throw new ParamError('no data yet: name a source and currency');
  return key;
}

const span = (r: TimeRange) => ({ from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() });

/** The endpoints, each with what /api says of it. */
function endpoints(deps: AreaDeps): Endpoint[] {
  /** A part of the forecast page's data; `columns` space-separated. */
  const forecastPart =
    (part: 'forecasts' | 'scores', columns: string): Endpoint['answer'] =>
    async (q) => {
      const key = need((await deps.catalog.resolve(parseQuery(q, ['source', 'currency']))).key);
      const v = await loadForecast(deps, key);
      const name = `${part}-${key.source}-${key.currency}`;
      return { name, columns: columns.split(' '), rows: v[part], extra: { ...key } };
    };
  return [
    {
      path: '/api/series',
      params: 'format',
      what: 'every (source, currency) with data',
      answer: async (q) => {
        parseQuery(q, []);
        const data = await deps.catalog.get();
        const rows = [...data.currenciesBySource].flatMap(([source, cs]) =>
          cs.map((currency) => ({ source, currency })),
        );
        return { name: 'series', columns: ['source', 'currency'], rows, extra: { sources: data.sources } };
      },
    },
    {
      path: '/api/aggregates',
      params: `source, currency, grain=hour|day, range=${RANGE_CHOICES}, from, to, format`,
      what: 'min, max, mean, first, last and row count per hour or UTC day (rates_1h / rates_1d)',
      answer: async (q) => {
        const r = await parseAggregatesRequest(deps, q);
        const s = need(r.series);
        return {
          name: `aggregates-${s.source}-${s.currency}-${r.grain}`,
          columns: ['ts', 'min', 'max', 'mean', 'first', 'last', 'count'],
          rows: (await loadAggregates(deps, { ...r, series: s })).map((b) => ({ ...b })),
          extra: { ...s, grain: r.grain, ...span(r.range) },
        };
      },
    },
    {
      path: '/api/history',
      params: `source, currency, range=${RANGE_CHOICES}, from, to, window=30m|1h|1d, format`,
      what: 'downsampled buckets with the rolling mean and standard deviation',
      answer: async (q) => {
        const r = await parseHistoryRequest(deps, q);
        const s = need(r.series);
        const h = await loadHistory(deps, { ...r, series: s });
        return {
          name: `history-${s.source}-${s.currency}`,
          columns: ['ts', 'n', 'mean', 'min', 'max', 'last', 'windowN', 'rollingMean', 'rollingStd'],
          rows: h.points.map((p) => ({ ...p, ts: new Date(p.ts) })),
          extra: { ...s, interval: h.interval, windowMs: h.windowMs, ...span(r.range) },
        };
      },
    },
    {
      path: '/api/forecasts',
      params: 'source, currency, format',
      what: 'the newest 1-, 5- and 10-minute forecasts of each model',
      answer: forecastPart('forecasts', 'ts madeAt horizon model mean lo50 hi50 lo90 hi90 points'),
    },
    {
      path: '/api/scores',
      params: 'source, currency, format',
      what: 'the newest live scores: skill, RMSE, interval coverage',
      answer: forecastPart('scores', 'ts span model horizon n rmse mae skill coverage50 coverage90 width90'),
    },
    {
      path: '/api/latest',
      params: 'source, format',
      what: 'the newest rate of every currency of a source',
      answer: async (q) => {
        const { source } = parseQuery(q, ['source']);
        if (source === undefined) throw new ParamError('source is required');
        await deps.catalog.resolve({ source });
        const rows = await deps.queries.latestRates(source, deps.clock.now() - 86_400_000);
        rows.sort((a, b) => a.currency.localeCompare(b.currency));
        return { name: `latest-${source}`, columns: ['ts', 'currency', 'rate'], rows, extra: { source } };
      },
    },
    {
      path: '/api/health',
      params: 'format',
      what: 'last successful poll per source and its age (JSON: every health figure)',
      answer: async (q) => {
        parseQuery(q, []);
        const v = await loadHealth(deps);
        const rows = sourceRows(v).map(({ source, ok, age }) => {
          const ageSeconds = age === null ? null : Math.round(age / 1000);
          return { source, lastSuccess: ok?.ts ?? null, ageSeconds, accepted: ok?.accepted ?? null };
        });
        const { questdb, aws } = v;
        return {
          name: 'health',
          columns: ['source', 'lastSuccess', 'ageSeconds', 'accepted'],
          rows,
          json: { now: new Date(v.now).toISOString(), questdb, aws, sources: rows, ...v.db },
          status: v.db ? 200 : 503,
        };
      },
    },
  ];
}

export function apiRoutes(deps: AreaDeps): Hono {
  const app = new Hono();
  const list = endpoints(deps);
  app.get('/', (c) => {
    parseQuery(new URL(c.req.url).searchParams, []);
    const described = list.map(({ path, params, what }) => ({ path, params, what }));
    return c.json({ endpoints: described, formats: ['json', 'csv'], times: 'ISO 8601, UTC' });
  });
  for (const e of list) app.get(e.path.slice('/api'.length), handler(e.answer));
  return app;
}
