/**
 * Forecast: the latest rate, each model's 1-, 5- and 10-minute projections with intervals over the last hour, and
 * its live scores. The live part polls its own fragment (`refresh`, 60 s by default).
 */
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import type { Forecast, LatestRate, Score, SeriesKey } from '../../sql/web.ts';
import type { AreaDeps } from '../context.ts';
import { fmtAge, fmtInt, fmtPct, fmtRate, fmtTime, shownSign } from '../format.ts';
import { AreaBody, Chart, Select, Table, url, Retrying, type ChartSpec, type Col } from '../layout.tsx';
import { areaRoutes } from '../page-routes.tsx';
import { MIN_POINTS, WINDOW_MINUTES } from '../../forecast/forecaster.ts';
import { parseQuery, REFRESH_SECONDS } from '../params.ts';

const PARAMS = ['source', 'currency', 'refresh'] as const;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type ForecastRequest = Awaited<ReturnType<typeof parseForecastRequest>>;
type ForecastView = Awaited<ReturnType<typeof loadForecast>>;

async function parseForecastRequest(deps: AreaDeps, query: URLSearchParams) {
  const p = parseQuery(query, PARAMS);
  const { key, data } = await deps.catalog.resolve(p);
  return { series: key, refresh: p.refresh ?? '60', data };
}

export async function loadForecast(deps: AreaDeps, series: SeriesKey) {
  const now = deps.clock.now();
  const [recent, forecasts, scores, latest] = await Promise.all([
    deps.queries.minuteRates(series, now - HOUR, now + 60_000),
    deps.queries.latestForecasts(series, now - DAY),
    deps.queries.latestScores(series, now - 7 * DAY),
    deps.queries.latestRates(series.source, now - DAY),
  ]);
  forecasts.sort((a, b) => a.horizon - b.horizon || a.model.localeCompare(b.model));
  scores.sort(
    (a, b) => a.span.localeCompare(b.span) || a.horizon - b.horizon || a.model.localeCompare(b.model),
  );
  latest.sort((a, b) => a.currency.localeCompare(b.currency));
  return { now, recent, forecasts, scores, latest };
}

/** The model drawn with its bands: the first that is not the persistence baseline. */
const primaryModel = (f: Forecast[]) =>
  [...new Set(f.map((x) => x.model))].sort().find((m) => m !== 'persistence') ?? f[0]?.model;

function chartSpec(v: ForecastView): ChartSpec {
  // Only forecasts made within the charted hour belong on it (a stopped forecaster's last ones do not).
  const current = v.forecasts.filter((f) => f.madeAt.getTime() >= v.now - HOUR);
  const model = primaryModel(current);
  const own = current.filter((f) => f.model === model);
  const persistence = current.filter((f) => f.model === 'persistence');
  const last = v.recent.at(-1);
  const xs = [
    ...new Set([...v.recent.map((p) => p.ts.getTime()), ...current.map((f) => f.ts.getTime())]),
  ].sort((a, b) => a - b);
  const at = (pts: { ts: Date; value: number }[]) => {
    const m = new Map(pts.map((p) => [p.ts.getTime(), p.value]));
    return xs.map((x) => m.get(x) ?? null);
  };
  // Forecast lines start at the last observed rate so they read as continuations of it.
  const start = last ? [{ ts: last.ts, value: last.rate }] : [];
  const line = (fs: Forecast[], pick: (f: Forecast) => number) =>
    at([...start, ...fs.map((f) => ({ ts: f.ts, value: pick(f) }))]);
  const rate = at(v.recent.map((p) => ({ ts: p.ts, value: p.rate })));
  const series: ChartSpec['series'] = [{ label: 'rate', values: rate, color: '#111827', width: 2 }];
  if (own.length > 0) {
    series.push(
      { label: `${model} mean`, values: line(own, (f) => f.mean), color: '#1d4ed8', width: 2, points: true },
      { label: `${model} 90% high`, values: line(own, (f) => f.hi90), color: '#93c5fd', width: 1 },
      { label: `${model} 90% low`, values: line(own, (f) => f.lo90), color: '#93c5fd', width: 1 },
      { label: `${model} 50% high`, values: line(own, (f) => f.hi50), color: '#60a5fa', width: 1 },
      { label: `${model} 50% low`, values: line(own, (f) => f.lo50), color: '#60a5fa', width: 1 },
    );
  }
  if (persistence.length > 0 && model !== 'persistence') {
    const values = line(persistence, (f) => f.mean);
    series.push({ label: 'persistence', values, color: '#b45309', width: 1, dash: [6, 4] });
  }
  return {
    x: xs.map((x) => x / 1000),
    series,
    bands: own.length > 0 ? BANDS : [],
    ...(last ? { marker: last.ts.getTime() / 1000 } : {}),
  };
}

/** The primary model's 90% and 50% intervals: series 2-3 and 4-5. */
const BANDS = [
  { upper: 2, lower: 3, fill: 'rgba(29, 78, 216, 0.10)' },
  { upper: 4, lower: 5, fill: 'rgba(29, 78, 216, 0.18)' },
];

/** Better or worse than persistence as shown: a skill that rounds to 0.0 % is neither. */
const skillClass = (s: Score) =>
  s.skill === null ? 'num' : ['num bad', 'num', 'num good'][shownSign(s.skill) + 1]!;
const SCORES: Col<Score>[] = [
  ['Span', (s) => s.span],
  ['Horizon', (s) => `${s.horizon} min`, 'num'],
  ['Model', (s) => s.model],
  ['Scored', (s) => fmtInt(s.n), 'num'],
  ['RMSE', (s) => fmtRate(s.rmse), 'num'],
  ['Skill', (s) => fmtPct(s.skill), skillClass],
  ['50% covered', (s) => fmtPct(s.coverage50), 'num'],
  ['90% covered', (s) => fmtPct(s.coverage90), 'num'],
];

const FORECASTS: Col<Forecast>[] = [
  ['Horizon', (f) => `${f.horizon} min`, 'num'],
  ['For (UTC)', (f) => fmtTime(f.ts)],
  ['Model', (f) => f.model],
  ['Mean', (f) => fmtRate(f.mean), 'num'],
  ['50% interval', (f) => `${fmtRate(f.lo50)} – ${fmtRate(f.hi50)}`, 'num'],
  ['90% interval', (f) => `${fmtRate(f.lo90)} – ${fmtRate(f.hi90)}`, 'num'],
];

const LATEST: Col<LatestRate>[] = [
  ['Currency', (l) => l.currency],
  ['Rate', (l) => fmtRate(l.rate), 'num'],
  ['At (UTC)', (l) => fmtTime(l.ts)],
];

/** Why there is no forecast yet, with the forecaster's real condition: MIN_POINTS minutes in its window. */
const NoForecastsYet: FC<{ s: SeriesKey; points: number }> = ({ s, points }) => {
  const missing = MIN_POINTS - points;
  return missing > 0 ? (
    <>
      No forecasts yet for {s.source} {s.currency}: the forecaster needs {MIN_POINTS} minutes of rates within
      the last {WINDOW_MINUTES} minutes and has {points}, so the first ones come in about {missing}{' '}
      {missing === 1 ? 'minute' : 'minutes'}.
    </>
  ) : (
    <>
      No forecasts yet for {s.source} {s.currency}, though its {points} minutes of rates are enough (the
      forecaster needs {MIN_POINTS}): they come within a minute when the forecaster runs for this source
      (FORECAST_SOURCES) and the rates are not all equal; see Health.
    </>
  );
};

/** The related series leading a gp-icm forecast, from its newest rows; nothing when the series has none. */
const Lead: FC<{ forecasts: Forecast[] }> = ({ forecasts }) => {
  const f = forecasts.filter((x) => x.model === 'gp-icm').sort((a, b) => +b.madeAt - +a.madeAt)[0];
  if (!f) return null;
  const lead = f.leadSeries ? `led by ${f.leadSeries} by ${f.leadMinutes} min` : 'no related series used';
  return <p id="forecast-lead">gp-icm (promoted by the daily backtest): {lead}</p>;
};

/** When the newest projections were made, flagged when that is over 5 minutes ago. */
const Made: FC<{ now: number; at: Date }> = ({ now, at }) => (
  <>
    Newest projections, made at {fmtTime(at)}
    {now - at.getTime() > 5 * 60_000 ? (
      <strong class="warn"> ({fmtAge(now - at.getTime())} ago: the forecaster is behind or stopped)</strong>
    ) : null}
  </>
);

/** The part of the page that refreshes itself. */
export const Live: FC<{ r: ForecastRequest; v: ForecastView }> = ({ r, v }) => {
  const s = r.series!;
  const last = v.recent.at(-1) ?? v.latest.find((l) => l.currency === s.currency);
  const self = url('/forecast/live', { source: s.source, currency: s.currency, refresh: r.refresh });
  return (
    <div
      id="forecast-live"
      class="live"
      hx-get={self}
      hx-trigger={`every ${r.refresh}s`}
      hx-swap="outerHTML"
      data-latest={last ? last.ts.toISOString() : ''}
    >
      <p class="headline" role="status">
        {last ? (
          <>
            BTC-{s.currency} <strong class="rate">{fmtRate(last.rate)}</strong> from {s.source} at{' '}
            <time datetime={last.ts.toISOString()}>{fmtTime(last.ts)}</time> (
            {fmtAge(v.now - last.ts.getTime())} ago; this part updates every {r.refresh} s)
          </>
        ) : (
          `No rate for ${s.source} ${s.currency} in the last day.`
        )}
      </p>
      {v.recent.length > 0 ? (
        <Chart
          spec={chartSpec(v)}
          label={`Last hour of BTC-${s.currency} from ${s.source} with the newest forecasts and their 50% and 90% intervals`}
        />
      ) : null}
      {v.forecasts.length === 0 ? (
        <p class="empty" id="forecast-waiting">
          <NoForecastsYet s={s} points={v.recent.length} />
        </p>
      ) : (
        <Table
          caption={<Made now={v.now} at={v.forecasts[0]!.madeAt} />}
          cols={FORECASTS}
          rows={v.forecasts}
        />
      )}
      <Table
        caption="Live skill against persistence (1 − RMSE / RMSE of persistence on the same minutes) and interval coverage"
        cols={SCORES}
        rows={v.scores}
        empty="No live scores yet: they appear once forecasts have matured against observed rates."
      />
      <Lead forecasts={v.forecasts} />
      {v.latest.length > 0 ? (
        <details class="latest">
          <summary>Latest rates of every currency from {s.source}</summary>
          <Table cols={LATEST} rows={v.latest} />
        </details>
      ) : null}
    </div>
  );
};

const Body: FC<{ r: ForecastRequest; v: ForecastView }> = ({ r, v }) => (
  <AreaBody
    area="forecast"
    r={r}
    fields={
      <Select
        area="forecast"
        name="refresh"
        label="Update every"
        value={r.refresh}
        options={REFRESH_SECONDS}
        labels={Object.fromEntries(REFRESH_SECONDS.map((s) => [s, `${s} s`]))}
      />
    }
  >
    <Live r={r} v={v} />
  </AreaBody>
);

async function render(deps: AreaDeps, query: URLSearchParams, live: boolean) {
  const r = await parseForecastRequest(deps, query);
  if (!r.series || r.data.empty)
    return live ? (
      <Retrying
        kind="waiting"
        id="forecast-live"
        retryUrl={url('/forecast/live', Object.fromEntries(query))}
      />
    ) : (
      <Retrying kind="waiting" id="forecast-body" retryUrl="/forecast/panel" />
    );
  const v = await loadForecast(deps, r.series);
  return live ? <Live r={r} v={v} /> : <Body r={r} v={v} />;
}

export function forecastRoutes(deps: AreaDeps): Hono {
  const app = areaRoutes('Forecast', deps.consoleUrl, async (q) => ({
    body: await render(deps, q, false),
    page: url('/forecast', Object.fromEntries(q)),
  }));
  app.get('/live', async (c) => c.html(await render(deps, new URL(c.req.url).searchParams, true)));
  return app;
}
