/** Every dashboard route in-process (`app.request`): status, content, validation, the states that are not data. */
import { describe, expect, it } from 'vitest';
import { makeTestApp, sampleAnswers } from './fake-db.ts';

const PAGES = ['/forecast', '/history', '/aggregates', '/health'];
const FRAGMENTS = [
  '/forecast/panel',
  '/forecast/live',
  '/history/panel',
  '/aggregates/panel',
  '/health/panel',
];
const API = [
  '/api',
  '/api/series',
  '/api/aggregates',
  '/api/history',
  '/api/forecasts',
  '/api/scores',
  '/api/latest?source=blockchain',
  '/api/health',
];
const htmx = { 'HX-Request': 'true' };

describe('pages', () => {
  it('redirects / to the forecast page', async () => {
    const { app } = makeTestApp();
    const res = await app.request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/forecast');
    const named = await app.request('/?source=kraken&currency=USD');
    expect(named.headers.get('location')).toBe('/forecast?source=kraken&currency=USD');
  });

  it.each(PAGES)(
    '%s renders a full page through the layout, linking every page and the QuestDB console',
    async (path) => {
      const { app } = makeTestApp();
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(/^<!DOCTYPE html>|^<html/i);
      for (const p of PAGES) expect(html).toContain(`href="${p}"`);
      expect(html).toContain('href="http://127.0.0.1:9000/"');
      expect(html).toContain('/static/vendor/htmx.min.js');
      expect(html).toContain('/static/vendor/uPlot.iife.min.js');
      // No inline script or style: the CSP allows only the site's files.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\sstyle=/);
      expect(html).not.toMatch(/<style/);
    },
  );

  it('labels every control', async () => {
    const { app } = makeTestApp();
    for (const path of ['/forecast', '/history', '/aggregates']) {
      const html = await (await app.request(path)).text();
      const ids = [...html.matchAll(/<(?:select|input)[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
      expect(ids.length).toBeGreaterThan(1);
      for (const id of ids) expect(html, `${path} #${id}`).toContain(`<label for="${id}"`);
    }
  });

  it('aggregates: hourly chart and table from rates_1h, for the default series blockchain/USD', async () => {
    const { app, calls } = makeTestApp();
    const html = await (await app.request('/aggregates')).text();
    expect(calls.map((c) => c.name)).toContain('hourly');
    const hourly = calls.find((c) => c.name === 'hourly')!;
    expect(hourly.params.slice(0, 2)).toEqual(['blockchain', 'USD']);
    expect(html).toContain('data-chart=');
    expect(html).toContain('90,073.00'); // the newest hour's mean, first row of the table
    expect(html).toMatch(/<option value="USD" selected/);
  });

  it('aggregates: the daily grain reads rates_1d', async () => {
    const { app, calls } = makeTestApp();
    const res = await app.request('/aggregates?grain=day&range=1y&currency=EUR');
    expect(res.status).toBe(200);
    expect(calls.find((c) => c.name === 'daily')?.params.slice(0, 2)).toEqual(['blockchain', 'EUR']);
    expect(await res.text()).toContain('90,000.50');
  });

  it('history: a day is drawn from minute buckets with the rolling band', async () => {
    const { app, calls } = makeTestApp();
    const html = await (await app.request('/history?range=1d&window=30m')).text();
    expect(calls.map((c) => c.name)).toContain('minuteRates');
    expect(html).toMatch(/\d+ of 1 minute \(the minute rows themselves\)/);
    const spec = JSON.parse(
      /data-chart="([^"]*)"/
        .exec(html)![1]!
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&'),
    ) as { x: number[]; series: { label: string }[]; bands: unknown[] };
    expect(spec.series.map((s) => s.label)).toEqual([
      'rate (bucket mean)',
      'rolling mean',
      '+1 std',
      '−1 std',
    ]);
    expect(spec.x.length).toBeGreaterThan(10);
    expect(spec.bands).toHaveLength(1);
  });

  it('history: a year reads the hourly view in 1-day buckets', async () => {
    const { app, calls } = makeTestApp();
    expect((await app.request('/history?range=1y')).status).toBe(200);
    expect(calls.map((c) => c.name)).toContain('historyView:1d');
  });

  it('forecast: latest rate, projections of every model with intervals, skill and coverage, polling itself', async () => {
    const { app } = makeTestApp();
    const html = await (await app.request('/forecast?refresh=5')).text();
    expect(html).toContain('91,059.00');
    expect(html).toMatch(/hx-get="\/forecast\/live\?source=blockchain&amp;currency=USD&amp;refresh=5"/);
    expect(html).toContain('hx-trigger="every 5s"');
    for (const h of ['1 min', '5 min', '10 min']) expect(html).toContain(h);
    expect(html).toContain('persistence');
    expect(html).toContain('12.3 %'); // skill
    expect(html).toContain('90.0 %'); // 90% coverage
  });

  it('forecast: polls every 60 s by default', async () => {
    const { app } = makeTestApp();
    expect(await (await app.request('/forecast')).text()).toContain('hx-trigger="every 60s"');
  });

  it('health: polls, rejections by reason, spool, reachability, jobs, and gap repair not installed yet', async () => {
    const { app } = makeTestApp();
    const html = await (await app.request('/health')).text();
    for (const s of ['blockchain', 'http_status', 'archive', 'view-health', 'reachable', 'no gaps table'])
      expect(html).toContain(s);
    expect(html).toContain('90 s'); // age of the last successful poll
  });

  it('health: a self quote is shown as filtered, a failed call as rejected, by source and reason', async () => {
    const { app } = makeTestApp();
    const html = await (await app.request('/health')).text();
    const rows = [...html.matchAll(/<tr><td>([^<]*)<\/td><td>([^<]*)<\/td><td[^>]*>([^<]*)<\/td>/g)].map(
      (m) => m.slice(1, 4),
    );
    expect(rows).toContainEqual(['coinbase', 'self_quote', 'filtered']);
    expect(rows).toContainEqual(['blockchain', 'http_status', 'rejected']);
  });

  it('health: says so while the rejections table does not exist', async () => {
    const answers = sampleAnswers();
    answers.tableNames = [{ table_name: 'rates' }];
    const { app, calls } = makeTestApp(answers);
    const html = await (await app.request('/health')).text();
    expect(html).toContain('no rejections table');
    expect(calls.map((c) => c.name)).not.toContain('rejectionsByReason');
  });

  it('health: reads gaps once the table exists', async () => {
    const answers = sampleAnswers();
    answers.tableNames = [{ table_name: 'gaps' }];
    answers.gapCounts = [{ source: 'blockchain', status: 'repaired', n: '4', last_ts: new Date() }];
    const { app } = makeTestApp(answers);
    const html = await (await app.request('/health')).text();
    expect(html).toContain('repaired');
  });
});

describe('fragments', () => {
  it.each(FRAGMENTS)('%s returns a fragment, not a page', async (path) => {
    const { app } = makeTestApp();
    const res = await app.request(path, { headers: htmx });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toMatch(/<html|<head|<body/i);
    expect(html).toMatch(/^<div id="[a-z]+-(body|live)"/);
  });

  it('a control change pushes the page URL, not the fragment URL, into the history', async () => {
    const { app } = makeTestApp();
    const res = await app.request('/aggregates/panel?source=blockchain&currency=EUR&grain=hour&range=7d', {
      headers: htmx,
    });
    expect(res.headers.get('HX-Push-Url')).toBe(
      '/aggregates?source=blockchain&currency=EUR&grain=hour&range=7d',
    );
  });
});

describe('api', () => {
  it.each(API)('%s answers JSON', async (path) => {
    const { app } = makeTestApp();
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    await res.json();
  });

  it.each(API.filter((p) => p !== '/api'))('%s answers CSV with format=csv', async (path) => {
    const { app } = makeTestApp();
    const res = await app.request(path + (path.includes('?') ? '&' : '?') + 'format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines.length).toBeGreaterThan(1);
  });

  it('aggregates as CSV: one line per bucket with ISO times', async () => {
    const { app } = makeTestApp();
    const csv = await (await app.request('/api/aggregates?grain=day&range=30d&format=csv')).text();
    expect(csv).toBe(
      'ts,min,max,mean,first,last,count\r\n2026-11-26T00:00:00.000Z,89000,91000,90000.5,89500,90500,1440\r\n',
    );
  });
});

describe('validation: a bad parameter is a 400 with a message, before any SQL', () => {
  const bad: [string, RegExp][] = [
    ["/history?currency=USD'%20OR%201=1--", /currency must be letters, digits/],
    ['/forecast?source=blockchain;DROP%20TABLE%20rates', /source must be letters/],
    [`/aggregates?currency=${'A'.repeat(65)}`, /longer than 64/],
    [`/history?from=${'2'.repeat(100)}&to=2026-01-01`, /from is longer than 64/],
    ['/history?window=2h', /window must be one of 30m, 1h, 1d/],
    ['/aggregates?grain=minute', /grain must be one of hour, day/],
    ['/history?range=2y', /range must be one of/],
    ['/forecast?refresh=1', /refresh must be one of 5, 15, 30, 60/],
    ['/history?range=custom&from=2026-01-01', /needs both from and to/],
    ['/history?from=2026-02-30&to=2026-03-01', /from (&quot;|")2026-02-30(&quot;|"): no such date/],
    ['/aggregates?from=2031-02-30&to=2031-03-01', /from (&quot;|")2031-02-30(&quot;|"): no such date/],
    ['/history?from=2026-03-01&to=2026-03-01T24:00', /to (&quot;|")2026-03-01T24:00(&quot;|"): no such time/],
    ['/history?range=1h&from=2026-01-01&to=2026-01-02', /range=1h contradicts from \/ to/],
    ['/aggregates?range=7d&to=2026-01-02', /range=7d contradicts from \/ to/],
    ['/forecast?source=', /source is empty/],
    ['/history?source=blockchain&currency=', /currency is empty/],
    ['/api/aggregates?source=', /source is empty/],
    ['/aggregates?grain=', /grain is empty/],
    ['/history?from=2026-03-01&to=2026-02-01', /from must be before to/],
    ['/history?from=2001-01-01&to=2002-01-01', /before 2009-01-03/],
    ['/aggregates?grain=hour&range=1y', /hourly aggregates cover at most 92 days/],
    ['/history?currency=USD&currency=EUR', /given more than once/],
    ['/history?sql=SELECT%201', /unknown parameter (&quot;|")sql/],
    ['/health?x=1', /unknown parameter (&quot;|")x/],
    ['/api/history?format=xml', /format must be one of json, csv/],
    ['/api/latest', /source is required/],
  ];

  it.each(bad)('%s', async (path, message) => {
    const { app, calls } = makeTestApp();
    const res = await app.request(path);
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toMatch(message);
    expect(calls).toEqual([]);
  });

  it('an htmx request gets the message as a fragment for the message line, keeping its controls', async () => {
    const { app, calls } = makeTestApp();
    const res = await app.request('/history/panel?window=9y', { headers: htmx });
    expect(res.status).toBe(400);
    expect(res.headers.get('HX-Retarget')).toBe('#messages');
    const html = await res.text();
    expect(html).toContain('window must be one of');
    expect(html).not.toMatch(/<html/);
    expect(calls).toEqual([]);
  });

  it('the API answers 400 as JSON', async () => {
    const { app } = makeTestApp();
    const res = await app.request("/api/aggregates?currency=USD'--");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/currency must be/);
  });

  it('well-formed names that are not in the tables are refused after the lookup, which runs only fixed SQL', async () => {
    const { app, calls } = makeTestApp();
    const res = await app.request('/history?currency=XYZ');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('unknown currency &quot;XYZ&quot;');
    expect(new Set(calls.map((c) => c.name))).toEqual(new Set(['seriesKeys', 'sourceIds', 'currencyCodes']));
    const res2 = await app.request('/forecast?source=nosuch');
    expect(res2.status).toBe(400);
    expect(await res2.text()).toContain('unknown source &quot;nosuch&quot;');
  });

  it('a source without data, named alone, gets a known currency and says it has no data', async () => {
    const { app } = makeTestApp();
    const res = await app.request('/history?source=coinbase');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No data for coinbase USD');
  });

  it('accepts a source that is only in the sources table, and shows it has no data', async () => {
    const { app } = makeTestApp();
    const res = await app.request('/history?source=coinbase&currency=USD');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No data for coinbase USD');
  });
});

describe('states that are not data', () => {
  it('a fresh install says it is waiting for the first poll, and checks again by itself', async () => {
    const { app } = makeTestApp({});
    for (const path of ['/forecast', '/history', '/aggregates']) {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('Waiting for the first poll');
      expect(html).toMatch(/hx-trigger="every 30s"/);
    }
    const health = await (await app.request('/health')).text();
    expect(health).toContain('waiting for the first poll');
  });

  it('QuestDB down: a 503 page with a banner that retries the area body, and recovery without a reload', async () => {
    const { app, setDown } = makeTestApp();
    setDown(true);
    const res = await app.request('/history?range=1d');
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('QuestDB is not reachable');
    expect(html).toMatch(
      /id="history-body"[^>]*hx-get="\/history\/panel\?range=1d"[^>]*hx-trigger="every 5s"/,
    );
    // The banner's own request while QuestDB is still down: the banner again, swapped over itself.
    const again = await app.request('/history/panel?range=1d', {
      headers: { ...htmx, 'HX-Target': 'history-body' },
    });
    expect(again.status).toBe(503);
    expect(again.headers.get('HX-Reswap')).toBe('outerHTML');
    expect(await again.text()).toContain('id="history-body"');
    setDown(false);
    const back = await app.request('/history/panel?range=1d', {
      headers: { ...htmx, 'HX-Target': 'history-body' },
    });
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('data-chart=');
  });

  it('QuestDB down: the health page still shows the archive reachability', async () => {
    const { app, setDown } = makeTestApp();
    setDown(true);
    const res = await app.request('/health');
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('NOT reachable');
    expect(html).toContain('hx-trigger="every 5s"');
    expect(html).toContain('S3 (raw archive)');
  });

  it('QuestDB down: the API answers 503 JSON', async () => {
    const { app, setDown } = makeTestApp();
    setDown(true);
    const res = await app.request('/api/history');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'QuestDB is not reachable' });
  });

  it('an SQL error QuestDB answered is a 500, not a banner', async () => {
    const answers = sampleAnswers();
    answers.hourly = Object.assign(new Error('table does not exist [table=rates_1h]'), { severity: 'ERROR' });
    const { app } = makeTestApp(answers);
    const res = await app.request('/aggregates');
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('table does not exist');
  });

  it('an unknown page is a 404 through the layout; an unknown API path a JSON 404', async () => {
    const { app } = makeTestApp();
    expect((await app.request('/nope')).status).toBe(404);
    const api = await app.request('/api/nope');
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: string }).error).toContain('/api/nope');
  });

  it.each([
    ['POST', '/forecast'],
    ['PUT', '/history/panel'],
    ['DELETE', '/api/aggregates'],
    ['POST', '/static/app.js'],
    ['PATCH', '/'],
  ])('%s %s is a 405 naming the allowed methods, before any SQL', async (method, path) => {
    const { app, calls } = makeTestApp();
    const res = await app.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(await res.text()).toContain(`${method} is not allowed`);
    expect(calls).toEqual([]);
  });

  it('a wrong method on a path that does not exist is still a 404', async () => {
    const { app } = makeTestApp();
    expect((await app.request('/nope', { method: 'POST' })).status).toBe(404);
    expect((await app.request('/api/nope', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('security and static files', () => {
  it('sends a CSP that allows only the site itself, and the other security headers', async () => {
    const { app } = makeTestApp();
    const res = await app.request('/forecast');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // X-Frame-Options says what frame-ancestors 'none' says, for browsers that know only the older header.
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['/static/app.js', 'text/javascript; charset=utf-8', 'htmx.onLoad'],
    ['/static/app.css', 'text/css; charset=utf-8', '--text'],
    ['/static/vendor/htmx.min.js', 'text/javascript; charset=utf-8', 'htmx'],
    ['/static/vendor/uPlot.iife.min.js', 'text/javascript; charset=utf-8', 'uPlot'],
    ['/static/vendor/uPlot.min.css', 'text/css; charset=utf-8', '.uplot'],
  ])('%s is served from the installed files as %s', async (path, type, text) => {
    const { app } = makeTestApp();
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(await res.text()).toContain(text);
    const again = await app.request(path, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('serves no other file', async () => {
    const { app } = makeTestApp();
    expect((await app.request('/static/../package.json')).status).toBe(404);
    expect((await app.request('/static/vendor/htmx.js')).status).toBe(404);
  });
});

describe('forecast freshness', () => {
  it('says so when the newest forecasts are old, and leaves them off the chart', async () => {
    const answers = sampleAnswers();
    const old = new Date(Date.parse('2026-11-27T14:00:00Z'));
    answers.latestForecasts = [
      {
        ts: new Date(old.getTime() + 60_000),
        made_at: old,
        horizon: 1,
        model: 'gp',
        mean: 1,
        lo50: 1,
        hi50: 1,
        lo90: 1,
        hi90: 1,
        points: 60,
      },
    ];
    const { app } = makeTestApp(answers);
    const html = await (await app.request('/forecast')).text();
    expect(html).toContain('the forecaster is behind or stopped');
    const spec = /data-chart="([^"]*)"/.exec(html)![1]!.replace(/&quot;/g, '"');
    expect(spec).not.toContain('gp mean');
  });
});

describe('gp-icm leads', () => {
  const icm = (leadSeries: string | null, leadMinutes: number | null, madeAt: Date) => ({
    ts: new Date(madeAt.getTime() + 60_000),
    made_at: madeAt,
    horizon: 1,
    model: 'gp-icm',
    mean: 1,
    lo50: 1,
    hi50: 1,
    lo90: 1,
    hi90: 1,
    points: 60,
    lead_series: leadSeries,
    lead_minutes: leadMinutes,
  });

  it('shows the series leading the newest gp-icm forecast, beside the live skill', async () => {
    const answers = sampleAnswers();
    const t = Date.parse('2026-11-27T20:30:00Z');
    answers.latestForecasts = [
      icm('kraken/USD', 1, new Date(t - 60_000)),
      icm('binance/USD', 0.25, new Date(t)),
    ];
    const html = await (await makeTestApp(answers).app.request('/forecast')).text();
    expect(html).toContain('led by binance/USD by 0.25 min');
    expect(html).not.toContain('kraken/USD');
    expect(html.indexOf('forecast-lead')).toBeGreaterThan(html.indexOf('Live skill'));
  });

  it('says when training used no related series, and shows nothing without gp-icm', async () => {
    const answers = sampleAnswers();
    answers.latestForecasts = [icm(null, null, new Date(Date.parse('2026-11-27T20:30:00Z')))];
    const html = await (await makeTestApp(answers).app.request('/forecast')).text();
    expect(html).toContain('no related series used');
    expect(await (await makeTestApp().app.request('/forecast')).text()).not.toContain('forecast-lead');
  });
});

describe('the first minutes', () => {
  const MIN = 60_000;
  const last = Math.floor(Date.parse('2026-11-27T20:35:30Z') / MIN) * MIN - MIN;
  const minutes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ ts: new Date(last - (n - 1 - i) * MIN), rate: 91_000 + i }));

  it.each([
    [
      1,
      /needs 10 minutes of rates within the last 60 minutes and has 1, so the first ones come in about 9 minutes/,
    ],
    [9, /has 9, so the first ones come in about 1 minute\./],
    [12, /its 12 minutes of rates are enough \(the forecaster\s+needs 10\)/],
  ])(
    'with %i minutes of rates and no forecast, the forecast page states the real condition',
    async (n, text) => {
      const answers = sampleAnswers();
      answers.minuteRates = minutes(n);
      answers.latestForecasts = [];
      const { app } = makeTestApp(answers);
      const html = await (await app.request('/forecast')).text();
      expect(html).toMatch(text);
      expect(html).not.toContain('hour of data');
    },
  );

  it.each([
    ['/aggregates?grain=hour&range=7d', 3600],
    ['/aggregates?grain=day&range=90d', 86400],
    ['/history?range=1d', 60],
  ])('%s with one bucket charts it with its step, for the axis around it', async (path, step) => {
    const answers = sampleAnswers();
    const row = (ms: number) => ({
      ts: new Date(ms),
      min_rate: 1,
      max_rate: 3,
      avg_rate: 2,
      first_rate: 1,
      last_rate: 3,
      count: '1',
    });
    answers.hourly = [row(last - (last % 3_600_000))];
    answers.daily = [row(last - (last % 86_400_000))];
    answers.minuteRates = [{ ts: new Date(last), rate: 2 }];
    const { app } = makeTestApp(answers);
    const html = await (await app.request(path)).text();
    const spec = JSON.parse(/data-chart="([^"]*)"/.exec(html)![1]!.replace(/&quot;/g, '"')) as {
      x: number[];
      step: number;
    };
    expect(spec.step).toBe(step);
    expect(spec.x).toHaveLength(1);
  });
});
