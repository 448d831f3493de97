/** The pages' data for scripts: JSON, or CSV with `format=csv`; the pages' parameters; times ISO 8601 UTC. */
import { Hono, type Context } from 'hono';
import { loadAggregates, parseAggregatesRequest } from './pages/aggregates.tsx';
import { loadForecast } from './pages/forecast.tsx';
import { loadHealth } from './pages/health.tsx';
import { loadHistory, parseHistoryRequest } from './pages/history.tsx';
import type { AreaDeps } from './context.ts';
import { toCsv } from './format.ts';
import { ParamError, parseQuery, type Format } from './params.ts';

type Row = Record<string, unknown>;

/** The endpoints, as /api lists them. */
export const ENDPOINTS = [
  { path: '/api/series', params: 'format', what: 'every (source, currency) with data' },
  {
    path: '/api/aggregates',
    params: 'source, currency, grain=hour|day, range=1d|7d|30d|90d|1y|custom, from, to, format',
    what: 'min, max, mean, first, last and row count per hour or UTC day (rates_1h / rates_1d)',
  },
  {
    path: '/api/history',
    params: 'source, currency, range=1h|6h|1d|7d|30d|90d|1y|custom, from, to, window=30m|1h|1d, format',
    what: 'downsampled buckets with the rolling mean and standard deviation',
  },
  {
    path: '/api/forecasts',
    params: 'source, currency, format',
    what: 'the newest 1-, 5- and 10-minute forecasts of each model',
  },
  {
    path: '/api/scores',
    params: 'source, currency, format',
    what: 'the newest live scores: skill, RMSE, interval coverage',
  },
  { path: '/api/latest', params: 'source, format', what: 'the newest rate of every currency of a source' },
  {
    path: '/api/health',
    params: 'format',
    what: 'last successful poll per source and its age (JSON: every health figure)',
  },
] as const;

function send(
  c: Context,
  format: Format | undefined,
  name: string,
  columns: string[],
  rows: Row[],
  extra?: Row,
) {
  if (format === 'csv') {
    c.header('Content-Type', 'text/csv; charset=utf-8');
    c.header('Content-Disposition', `inline; filename="${name}.csv"`);
    return c.body(toCsv(columns, rows));
  }
  return c.json({ ...extra, rows });
}

const formatOf = (q: URLSearchParams) => parseQuery(q, ['format']).format;

/** Split the shared `format` parameter from a page's own ones. */
function split(c: Context): { q: URLSearchParams; format: Format | undefined } {
  const all = new URL(c.req.url).searchParams;
  const q = new URLSearchParams();
  const f = new URLSearchParams();
  for (const [k, v] of all) (k === 'format' ? f : q).append(k, v);
  return { q, format: formatOf(f) };
}

export function apiRoutes(deps: AreaDeps): Hono {
  const app = new Hono();

  app.get('/', (c) => {
    parseQuery(new URL(c.req.url).searchParams, []);
    return c.json({ endpoints: ENDPOINTS, formats: ['json', 'csv'], times: 'ISO 8601, UTC' });
  });

  app.get('/series', async (c) => {
    const { q, format } = split(c);
    parseQuery(q, []);
    const data = await deps.catalog.get();
    const rows = [...data.currenciesBySource].flatMap(([source, cs]) =>
      cs.map((currency) => ({ source, currency })),
    );
    return send(c, format, 'series', ['source', 'currency'], rows, { sources: data.sources });
  });

  app.get('/aggregates', async (c) => {
    const { q, format } = split(c);
    const r = await parseAggregatesRequest(deps, q);
    if (!r.series) throw new ParamError('no data yet: name a source and currency');
    const rows = (await loadAggregates(deps, { ...r, series: r.series })).map((b) => ({ ...b }));
    const s = r.series;
    return send(
      c,
      format,
      `aggregates-${s.source}-${s.currency}-${r.grain}`,
      ['ts', 'min', 'max', 'mean', 'first', 'last', 'count'],
      rows,
      {
        ...s,
        grain: r.grain,
        from: new Date(r.range.from).toISOString(),
        to: new Date(r.range.to).toISOString(),
      },
    );
  });

  app.get('/history', async (c) => {
    const { q, format } = split(c);
    const r = await parseHistoryRequest(deps, q);
    if (!r.series) throw new ParamError('no data yet: name a source and currency');
    const h = await loadHistory(deps, { ...r, series: r.series });
    const rows = h.points.map((p) => ({ ...p, ts: new Date(p.ts) }));
    const s = r.series;
    return send(
      c,
      format,
      `history-${s.source}-${s.currency}`,
      ['ts', 'n', 'mean', 'min', 'max', 'last', 'windowN', 'rollingMean', 'rollingStd'],
      rows,
      {
        ...s,
        interval: h.interval,
        windowMs: h.windowMs,
        from: new Date(r.range.from).toISOString(),
        to: new Date(r.range.to).toISOString(),
      },
    );
  });

  const forecastPart = (part: 'forecasts' | 'scores', columns: string[]) => async (c: Context) => {
    const { q, format } = split(c);
    const { key } = await deps.catalog.resolve(parseQuery(q, ['source', 'currency']));
    if (!key) throw new ParamError('no data yet: name a source and currency');
    const v = await loadForecast(deps, key);
    return send(c, format, `${part}-${key.source}-${key.currency}`, columns, v[part], { ...key });
  };
  app.get(
    '/forecasts',
    forecastPart('forecasts', [
      'ts',
      'madeAt',
      'horizon',
      'model',
      'mean',
      'lo50',
      'hi50',
      'lo90',
      'hi90',
      'points',
    ]),
  );
  app.get(
    '/scores',
    forecastPart('scores', [
      'ts',
      'span',
      'model',
      'horizon',
      'n',
      'rmse',
      'mae',
      'skill',
      'coverage50',
      'coverage90',
      'width90',
    ]),
  );

  app.get('/latest', async (c) => {
    const { q, format } = split(c);
    const p = parseQuery(q, ['source']);
    if (p.source === undefined) throw new ParamError('source is required');
    await deps.catalog.resolve({ source: p.source });
    const rows = await deps.queries.latestRates(p.source, deps.clock.now() - 86_400_000);
    rows.sort((a, b) => a.currency.localeCompare(b.currency));
    return send(c, format, `latest-${p.source}`, ['ts', 'currency', 'rate'], rows, { source: p.source });
  });

  app.get('/health', async (c) => {
    const { q, format } = split(c);
    parseQuery(q, []);
    const v = await loadHealth(deps);
    const rows = (v.db?.sources ?? []).map((source) => {
      const ok = v.db?.successful.find((p) => p.source === source);
      return {
        source,
        lastSuccess: ok?.ts ?? null,
        ageSeconds: ok ? Math.round((v.now - ok.ts.getTime()) / 1000) : null,
        accepted: ok?.accepted ?? null,
      };
    });
    if (format === 'csv')
      return send(c, format, 'health', ['source', 'lastSuccess', 'ageSeconds', 'accepted'], rows);
    return c.json(
      { now: new Date(v.now).toISOString(), questdb: v.questdb, aws: v.aws, sources: rows, ...v.db },
      v.db ? 200 : 503,
    );
  });

  return app;
}
