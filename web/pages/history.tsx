/**
 * History: one series over a range with its rolling mean and ± one standard deviation band, from at most
 * MAX_POINTS SAMPLE BY buckets (minute rows up to a week, the hourly view beyond) rolled up in web/series.ts.
 */
import type { FC } from 'hono/jsx';
import { alignDown, INTERVAL_MS, ROLLING_WINDOWS } from '../../sql/analytics.ts';
import type { SeriesKey } from '../../sql/web.ts';
import type { AreaDeps } from '../context.ts';
import { fmtAge, fmtRate, fmtTime } from '../format.ts';
import { AreaBody, Chart, Select, url, type ChartSpec } from '../layout.tsx';
import { areaRoutes, waiting } from '../page-routes.tsx';
import { parseQuery, parseRange } from '../params.ts';
import { chooseInterval, effectiveWindowMs, RAW_SPAN_LIMIT_MS, rollingFromBuckets } from '../series.ts';
import type { HistoryPoint } from '../series.ts';
import { customBounds, RangeFields } from './range-fields.tsx';

const PARAMS = ['source', 'currency', 'range', 'from', 'to', 'window'] as const;
const UNITS: Record<string, string> = { m: 'minute', h: 'hour', d: 'day', w: 'week' };
/** An interval or window in words: "5m" is "5 minutes". */
function inWords(i: string): string {
  const n = parseInt(i, 10);
  return `${n} ${UNITS[i.slice(-1)]}${n === 1 ? '' : 's'}`;
}

type HistoryRequest = Awaited<ReturnType<typeof parseHistoryRequest>>;
type HistoryResult = Awaited<ReturnType<typeof loadHistory>>;

export async function parseHistoryRequest(deps: AreaDeps, query: URLSearchParams) {
  const p = parseQuery(query, PARAMS);
  const range = parseRange(p, deps.clock.now(), '1d');
  const { key, data } = await deps.catalog.resolve(p);
  return { series: key, range, window: p.window ?? '1h', data };
}

/** Buckets of the range (and of one window before it, to fill the first windows), rolled up. */
export async function loadHistory(deps: AreaDeps, r: HistoryRequest & { series: SeriesKey }) {
  const interval = chooseInterval(r.range.to - r.range.from);
  const size = INTERVAL_MS[interval];
  const windowMs = effectiveWindowMs(r.window, interval);
  const from = alignDown(interval, r.range.from); // the bucket holding the range's start (weeks start on Monday)
  const buckets = await deps.queries.history(r.series, interval, from - windowMs - size, r.range.to);
  return { interval, windowMs, points: rollingFromBuckets(buckets, windowMs, from) };
}

function chartSpec(points: HistoryPoint[], stepMs: number): ChartSpec {
  const std = (sign: 1 | -1) =>
    points.map((p) => (p.rollingStd === null ? null : p.rollingMean + sign * p.rollingStd));
  return {
    x: points.map((p) => p.ts / 1000),
    step: stepMs / 1000,
    series: [
      { label: 'rate (bucket mean)', values: points.map((p) => p.mean), color: '#374151', width: 1 },
      { label: 'rolling mean', values: points.map((p) => p.rollingMean), color: '#1d4ed8', width: 2 },
      { label: '+1 std', values: std(1), color: '#93c5fd', width: 1 },
      { label: '−1 std', values: std(-1), color: '#93c5fd', width: 1 },
    ],
    bands: [{ upper: 2, lower: 3, fill: 'rgba(29, 78, 216, 0.15)' }],
  };
}

const query = (r: HistoryRequest) => ({
  source: r.series?.source,
  currency: r.series?.currency,
  range: r.range.range,
  window: r.window,
  ...customBounds(r.range),
});

const Results: FC<{ r: HistoryRequest; h: HistoryResult }> = ({ r, h }) => {
  const s = r.series!;
  if (h.points.length === 0)
    return (
      <p class="empty" role="status">
        No data for {s.source} {s.currency} between {fmtTime(r.range.from)} and {fmtTime(r.range.to)}.
      </p>
    );
  const last = h.points.at(-1)!;
  const fromView = r.range.to - r.range.from > RAW_SPAN_LIMIT_MS;
  const read = fromView
    ? 'from the hourly view rates_1h'
    : h.interval === '1m'
      ? 'the minute rows themselves'
      : 'SAMPLE BY over the minute rows';
  return (
    <>
      <Chart
        spec={chartSpec(h.points, INTERVAL_MS[h.interval])}
        label={`BTC-${s.currency} from ${s.source}, ${fmtTime(h.points[0]!.ts)} to ${fmtTime(last.ts)}: bucket means, rolling mean and ± 1 rolling standard deviation`}
      />
      <dl class="facts">
        <dt>Buckets</dt>
        <dd>
          {h.points.length} of {inWords(h.interval)} ({read})
        </dd>
        <dt>Rolling window</dt>
        <dd>
          {fmtAge(h.windowMs)}
          {h.windowMs > INTERVAL_MS[r.window] ? ' (widened to one bucket)' : ''}
          {fromView ? '; the spread is that of the hourly means' : ''}
        </dd>
        <dt>Latest</dt>
        <dd>
          {fmtRate(last.last)} at {fmtTime(last.ts)}; rolling mean {fmtRate(last.rollingMean)} ±{' '}
          {fmtRate(last.rollingStd)}
        </dd>
        <dt>Data</dt>
        <dd>
          <a href={url('/api/history', { ...query(r), format: 'csv' })}>CSV</a>,{' '}
          <a href={url('/api/history', query(r))}>JSON</a>
        </dd>
      </dl>
    </>
  );
};

const Body: FC<{ r: HistoryRequest; h: HistoryResult }> = ({ r, h }) => (
  <AreaBody
    area="history"
    r={r}
    fields={
      <>
        <RangeFields area="history" range={r.range} presets={['1h', '6h', '1d', '7d', '30d', '90d', '1y']} />
        <Select
          area="history"
          name="window"
          label="Rolling window"
          value={r.window}
          options={ROLLING_WINDOWS}
          labels={Object.fromEntries(ROLLING_WINDOWS.map((w) => [w, inWords(w)]))}
        />
      </>
    }
  >
    <Results r={r} h={h} />
  </AreaBody>
);

export const historyRoutes = (deps: AreaDeps) =>
  areaRoutes('History', deps.consoleUrl, async (q) => {
    const r = await parseHistoryRequest(deps, q);
    if (!r.series || r.data.empty) return waiting('history');
    const h = await loadHistory(deps, { ...r, series: r.series });
    return { body: <Body r={r} h={h} />, page: url('/history', query(r)) };
  });
