/** The one page layout and the pieces the areas share. No inline script or style: the CSP allows neither. */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import type { SeriesKey } from '../sql/web.ts';
import type { CatalogData } from './catalog.ts';
import { AREAS, areaTitle } from './context.ts';

/** htmx within the CSP (no inline style, eval or scripts); error answers swap in so their message shows. */
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[2345]..', swap: true, error: false },
  ],
});

/** A URL with the defined parameters as its query string. */
export function url(path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export const Layout: FC<PropsWithChildren<{ title: string; active: string; consoleUrl: string }>> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content={HTMX_CONFIG} />
      <title>{`${p.title} · BTC rates`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href="/static/vendor/uPlot.min.css" />
      <link rel="stylesheet" href="/static/app.css" />
      <script src="/static/vendor/htmx.min.js" defer></script>
      <script src="/static/vendor/uPlot.iife.min.js" defer></script>
      <script src="/static/app.js" defer></script>
    </head>
    <body>
      <header class="top">
        <a class="brand" href="/">
          BTC rates
        </a>
        <nav aria-label="Pages">
          <ul>
            {AREAS.map((a) => (
              <li>
                <a href={`/${a}`} aria-current={`/${a}` === p.active ? 'page' : undefined}>
                  {areaTitle(a)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <a class="console" href={p.consoleUrl} target="_blank" rel="noopener noreferrer">
          QuestDB console (ad hoc SQL)
        </a>
      </header>
      <main id="main">
        <h1>{p.title}</h1>
        {p.children}
      </main>
      <footer>
        Times are UTC. Data as JSON and CSV under <a href="/api">/api</a>. Ad hoc SQL runs in the{' '}
        <a href={p.consoleUrl} target="_blank" rel="noopener noreferrer">
          QuestDB console
        </a>
        ; this dashboard runs only its own queries.
      </footer>
    </body>
  </html>
);

/** In place of an area's content, asking `retryUrl` again until it answers: QuestDB down, or no rates yet. */
export const Retrying: FC<{ id: string; retryUrl: string; kind: 'down' | 'waiting' }> = (p) => (
  <div
    id={p.id}
    class={`banner ${p.kind}`}
    role={p.kind === 'down' ? 'alert' : 'status'}
    hx-get={p.retryUrl}
    hx-trigger={p.kind === 'down' ? 'every 5s' : 'every 30s'}
    hx-swap="outerHTML"
  >
    {p.kind === 'down' ? (
      <>
        <strong>QuestDB is not reachable.</strong> Nothing can be shown until it answers again; this part of
        the page retries every 5 seconds and comes back by itself.
      </>
    ) : (
      <>
        <strong>Waiting for the first poll.</strong> No rates are stored yet: the poller writes one row per
        currency every minute, and this page fills in by itself when the first ones arrive.
      </>
    )}
  </div>
);

type Link = { href: string; label: string };
/** A refused request: what was wrong, and on a full page a way back. */
export const Refused: FC<{ message: string; status: number; back?: Link }> = (p) => (
  <>
    <div class="banner error" role="alert">
      <strong>{p.status === 400 ? 'Bad request' : p.status === 404 ? 'Not found' : 'Error'}:</strong>{' '}
      {p.message}
    </div>
    {p.back ? (
      <p>
        <a href={p.back.href}>Back to {p.back.label}</a>
      </p>
    ) : null}
  </>
);

/** What a chart draws, read by static/app.js from the element's data-chart attribute. */
export type ChartSpec = {
  /** Unix seconds. */
  x: number[];
  series: {
    label: string;
    values: (number | null)[];
    color: string;
    width?: number;
    dash?: number[];
    points?: boolean;
  }[];
  /** Fill between two series (indexes into `series`), e.g. a ± std band. */
  bands?: { upper: number; lower: number; fill: string }[];
  /** Seconds between points (the bucket size), for the axis around a single point; default a minute. */
  step?: number;
  /** Optional vertical marker, unix seconds (the forecast's "now"). */
  marker?: number;
};

/** Chart values to the cent: what the eye can see, and half the bytes of full doubles. */
function chartJson(spec: ChartSpec): string {
  const cents = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return JSON.stringify({ ...spec, series: spec.series.map((s) => ({ ...s, values: s.values.map(cents) })) });
}

export const Chart: FC<{ spec: ChartSpec; label: string }> = (p) => (
  <figure class="chart-box">
    <div class="chart" role="img" aria-label={p.label} data-chart={chartJson(p.spec)}></div>
    <figcaption>{p.label}</figcaption>
  </figure>
);

/** A table column: its heading, its cell, and the cell's class (fixed or per row). */
export type Col<R> = [head: string, cell: (r: R) => Child, cls?: string | ((r: R) => string)];

/** A data table; with `rowHead` the first cell of each row is its header; with no rows, `empty` stands instead. */
type TableProps<R> = { cols: Col<R>[]; rows: R[]; caption?: Child; rowHead?: boolean; empty?: Child };
export function Table<R>(p: TableProps<R>) {
  if (p.rows.length === 0 && p.empty !== undefined) return <p class="empty">{p.empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        {p.caption === undefined ? null : <caption>{p.caption}</caption>}
        <thead>
          <tr>
            {p.cols.map(([head]) => (
              <th scope="col">{head}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.rows.map((r) => (
            <tr>
              {p.cols.map(([, cell, cls], i) => {
                const c = typeof cls === 'function' ? cls(r) || undefined : cls;
                return i === 0 && p.rowHead ? (
                  <th scope="row" class={c}>
                    {cell(r)}
                  </th>
                ) : (
                  <td class={c}>{cell(r)}</td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled selector `${area}-${name}`; an option's text is `labels[value]`, else the value. */
export const Select: FC<{
  area: string;
  name: string;
  label: string;
  value: string;
  options: readonly string[];
  labels?: Record<string, string>;
}> = (p) => (
  <div class="field">
    <label for={`${p.area}-${p.name}`}>{p.label}</label>
    <select id={`${p.area}-${p.name}`} name={p.name}>
      {p.options.map((v) => (
        <option value={v} selected={v === p.value}>
          {p.labels?.[v] ?? v}
        </option>
      ))}
    </select>
  </div>
);

/** An area's body (the fragment a control change swaps in): a plain GET form, then the results. */
export const AreaBody: FC<
  PropsWithChildren<{ area: string; r: { data: CatalogData; series: SeriesKey | null }; fields: Child }>
> = (p) => {
  const s = p.r.series!;
  // The source's currencies with data, plus the chosen one if it has none.
  const known = p.r.data.currenciesBySource.get(s.source) ?? [];
  const currencies = known.includes(s.currency) ? known : [s.currency, ...known];
  return (
    <div id={`${p.area}-body`}>
      <div id="messages" aria-live="polite"></div>
      <form
        class="controls"
        action={`/${p.area}`}
        method="get"
        hx-get={`/${p.area}/panel`}
        hx-target={`#${p.area}-body`}
        hx-swap="outerHTML"
        hx-trigger="change, submit"
      >
        <Select area={p.area} name="source" label="Source" value={s.source} options={p.r.data.sources} />
        <Select area={p.area} name="currency" label="Currency" value={s.currency} options={currencies} />
        {p.fields}
        <button type="submit">Show</button>
      </form>
      <section class="results" aria-label={areaTitle(p.area)}>
        {p.children}
      </section>
    </div>
  );
};
