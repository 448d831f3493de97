/** Aggregates: min, max and mean per hour or UTC day of one series (rates_1h / rates_1d), chart and table. */
import type { FC } from 'hono/jsx';
import type { Bucket } from '../../sql/analytics.ts';
import type { SeriesKey } from '../../sql/web.ts';
import type { AreaDeps } from '../context.ts';
import { fmtInt, fmtRate, fmtTime } from '../format.ts';
import { AreaBody, Chart, Select, Table, url, type ChartSpec, type Col } from '../layout.tsx';
import { checkGrainSpan, GRAINS, parseQuery, parseRange, RANGES, type Grain } from '../params.ts';
import { areaRoutes, waiting } from '../page-routes.tsx';
import { customBounds, RangeFields } from './range-fields.tsx';

const PARAMS = ['source', 'currency', 'grain', 'range', 'from', 'to'] as const;
/** The table shows the newest rows; the CSV has them all. */
const TABLE_ROWS = 200;

type AggregatesRequest = Awaited<ReturnType<typeof parseAggregatesRequest>>;

/** Validate a request: parameters first (no SQL), then the names against the catalog. */
export async function parseAggregatesRequest(deps: AreaDeps, query: URLSearchParams) {
  const p = parseQuery(query, PARAMS);
  const grain = p.grain ?? 'hour';
  const range = parseRange(p, deps.clock.now(), grain === 'hour' ? '7d' : '90d');
  checkGrainSpan(grain, range);
  const { key, data } = await deps.catalog.resolve(p);
  return { series: key, grain, range, data };
}

/** The buckets of a request, oldest first. */
export function loadAggregates(deps: AreaDeps, r: AggregatesRequest & { series: SeriesKey }) {
  const { source, currency } = r.series;
  return r.grain === 'hour'
    ? deps.analytics.hourly(source, currency, r.range.from, r.range.to)
    : deps.analytics.daily(source, currency, r.range.from, r.range.to);
}

function chartSpec(buckets: Bucket[], grain: Grain): ChartSpec {
  return {
    x: buckets.map((b) => b.ts.getTime() / 1000),
    step: grain === 'hour' ? 3600 : 86400,
    series: [
      { label: 'max', values: buckets.map((b) => b.max), color: '#b45309', width: 1 },
      { label: 'mean', values: buckets.map((b) => b.mean), color: '#1d4ed8', width: 2 },
      { label: 'min', values: buckets.map((b) => b.min), color: '#047857', width: 1 },
    ],
    bands: [{ upper: 0, lower: 2, fill: 'rgba(29, 78, 216, 0.12)' }],
  };
}

const query = (r: AggregatesRequest) => ({
  source: r.series?.source,
  currency: r.series?.currency,
  grain: r.grain,
  range: r.range.range,
  ...customBounds(r.range),
});

const columns = (head: string, ts: (d: Date) => string): Col<Bucket>[] => [
  [head, (b) => ts(b.ts)],
  ['Min', (b) => fmtRate(b.min), 'num'],
  ['Max', (b) => fmtRate(b.max), 'num'],
  ['Mean', (b) => fmtRate(b.mean), 'num'],
  ['Rows', (b) => fmtInt(b.count), 'num'],
];
const HOURLY = columns('Hour (UTC)', fmtTime);
const DAILY = columns('Day (UTC)', (d) => d.toISOString().slice(0, 10));

const Results: FC<{ r: AggregatesRequest; buckets: Bucket[] }> = ({ r, buckets }) => {
  const s = r.series!;
  const what = `${r.grain === 'hour' ? 'Hourly' : 'Daily'} min, max and mean of BTC-${s.currency} from ${s.source}`;
  if (buckets.length === 0)
    return (
      <p class="empty" role="status">
        No {r.grain === 'hour' ? 'hourly' : 'daily'} data for {s.source} {s.currency} between{' '}
        {fmtTime(r.range.from)} and {fmtTime(r.range.to)}.
      </p>
    );
  const newest = [...buckets].reverse().slice(0, TABLE_ROWS);
  const csv = url('/api/aggregates', { ...query(r), format: 'csv' });
  return (
    <>
      <Chart
        spec={chartSpec(buckets, r.grain)}
        label={`${what}, ${fmtTime(buckets[0]!.ts)} to ${fmtTime(buckets.at(-1)!.ts)}`}
      />
      <Table
        caption={
          <>
            {what}:{' '}
            {buckets.length > TABLE_ROWS
              ? `the newest ${TABLE_ROWS} of ${buckets.length} buckets`
              : `${buckets.length} ${buckets.length === 1 ? 'bucket' : 'buckets'}`}{' '}
            (<a href={csv}>CSV</a>, <a href={url('/api/aggregates', query(r))}>JSON</a>)
          </>
        }
        cols={r.grain === 'hour' ? HOURLY : DAILY}
        rows={newest}
      />
    </>
  );
};

const Body: FC<{ r: AggregatesRequest; buckets: Bucket[] }> = ({ r, buckets }) => (
  <AreaBody
    area="aggregates"
    r={r}
    fields={
      <>
        <Select
          area="aggregates"
          name="grain"
          label="Per"
          value={r.grain}
          options={GRAINS}
          labels={{ hour: 'hour (rates_1h)', day: 'day (rates_1d)' }}
        />
        <RangeFields
          area="aggregates"
          range={r.range}
          presets={Object.keys(RANGES).filter((k) => k !== '1h' && k !== '6h')}
        />
      </>
    }
  >
    <Results r={r} buckets={buckets} />
  </AreaBody>
);

export const aggregatesRoutes = (deps: AreaDeps) =>
  areaRoutes('Aggregates', deps.consoleUrl, async (q) => {
    const r = await parseAggregatesRequest(deps, q);
    if (!r.series || r.data.empty) return waiting('aggregates');
    const buckets = await loadAggregates(deps, { ...r, series: r.series });
    return { body: <Body r={r} buckets={buckets} />, page: url('/aggregates', query(r)) };
  });
