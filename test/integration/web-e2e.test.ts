/**
 * The dashboard in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against the real
 * QuestDB with data of the test's own source: every page loads with no console error and no failed request,
 * every chart draws, switching currency swaps a fragment without a page load, the forecast part changes after
 * a new minute of data without a reload, and a QuestDB outage shows a banner that goes away by itself.
 * Screenshots of every page go to test-results/screenshots/ (ignored by git) for review.
 */
import { serve } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { makeIlp, type Ilp } from '../../sql/ilp.ts';
import { makeApp } from '../../web/app.tsx';
import { fixedChecks } from '../../web/checks.ts';
import { testConfig } from './stack-env.ts';
import { waitForSeed, writeNextMinute, writeSeed, type Seed } from './web-support.ts';

const MIN = 60_000;
const SHOTS = 'test-results/screenshots';
const config = testConfig();
const to = Math.floor(Date.now() / MIN) * MIN + MIN;
const seed: Seed = {
  source: `e2e-${Math.random().toString(36).slice(2, 8)}`,
  currencies: ['USD', 'EUR'],
  from: to - 2 * 86_400_000,
  to,
};

let db: Db;
let ilp: Ilp;
let browser: Browser;
/** Whether the outage test's Db sends its queries to an unreachable QuestDB instead of the real one. */
let down = false;
const servers: { close(cb: () => void): void }[] = [];

async function listen(database: Db): Promise<string> {
  const app = makeApp({
    db: database,
    clock: systemClock,
    checks: fixedChecks(true),
    config: {
      QUESTDB_HOST: '127.0.0.1',
      QUESTDB_HTTP_PORT: config.QUESTDB_HTTP_PORT,
      QUESTDB_CONSOLE_URL: '',
    },
    catalogTtlMs: 1_000,
  });
  return new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
    servers.push(s);
  });
}

/** A page that records console errors, failed requests and error statuses. */
async function watchedPage(width = 1280): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`status ${r.status()}: ${r.url()}`);
  });
  return { page, problems };
}

/** Every chart is mounted with data and has drawn its blue series (not just axes and grid) on its canvas. */
async function expectChartsDrawn(page: Page): Promise<number> {
  const charts = await page.$$eval('[data-chart]', (els) =>
    els.map((el) => {
      const canvas = el.querySelector('canvas');
      if (!canvas) return { points: 0, coloured: 0 };
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        // The series are drawn in blues (#1d4ed8 and its bands): far more blue than red.
        if (data[i + 3]! > 0 && data[i + 2]! - data[i]! > 60) coloured++;
      }
      return { points: Number(el.getAttribute('data-mounted') ?? 0), coloured };
    }),
  );
  expect(charts.length).toBeGreaterThan(0);
  for (const c of charts) {
    expect(c.points).toBeGreaterThan(1);
    expect(c.coloured).toBeGreaterThan(200);
  }
  return charts.length;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  db = makeDb(config, 4);
  ilp = await makeIlp(config);
  await writeSeed(ilp, seed);
  await waitForSeed(db, seed, ((seed.to - seed.from) / MIN) * seed.currencies.length);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Playwright gives each launch a fresh temporary profile (--user-data-dir) of its own.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  await ilp?.close();
  await db?.end();
});

describe('the dashboard in Chromium', () => {
  const q = () => `source=${seed.source}&currency=USD`;

  it.each([
    ['forecast', () => `/forecast?${q()}`],
    ['history', () => `/history?${q()}&range=1d`],
    ['history-week', () => `/history?${q()}&range=7d&window=1d`],
    ['aggregates', () => `/aggregates?${q()}&range=1d`],
    ['health', () => '/health'],
  ])('%s loads with no console error or failed request, and every chart draws', async (name, path) => {
    const base = await listen(db);
    const { page, problems } = await watchedPage();
    await page.goto(base + path(), { waitUntil: 'networkidle' });
    expect((await page.textContent('h1'))?.toLowerCase()).toBe(name.split('-')[0]);
    if (name === 'forecast')
      expect(await page.textContent('#forecast-lead')).toContain('led by other/USD by 0.25 min');
    if (name !== 'health') await expectChartsDrawn(page);
    else expect(await page.textContent('#health-body')).toContain(seed.source);
    await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('is usable on a narrow screen (screenshot)', async () => {
    const base = await listen(db);
    const { page, problems } = await watchedPage(390);
    await page.goto(`${base}/forecast?${q()}`, { waitUntil: 'networkidle' });
    await expectChartsDrawn(page);
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${SHOTS}/forecast-narrow.png`, fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('switching currency swaps the fragment without a page load', async () => {
    const base = await listen(db);
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/history?${q()}&range=1d`, { waitUntil: 'networkidle' });
    await page.evaluate('window.__samePage = true');
    await page.selectOption('#history-currency', 'EUR');
    await page.waitForSelector('[data-chart][aria-label*="BTC-EUR"][data-mounted]');
    expect(await page.evaluate('window.__samePage')).toBe(true);
    expect(page.url()).toBe(`${base}/history?source=${seed.source}&currency=EUR&range=1d&window=1h`);
    expect(await page.inputValue('#history-currency')).toBe('EUR');
    await expectChartsDrawn(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('choosing a custom range enables from / to with the shown bounds; a preset sends no bounds', async () => {
    const base = await listen(db);
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/aggregates?${q()}&range=1d`, { waitUntil: 'networkidle' });
    expect(await page.isDisabled('#aggregates-from')).toBe(true);
    const shownFrom = await page.inputValue('#aggregates-from');
    // The URL is pushed before htmx wires the swapped-in form: wait until the new body's charts are mounted.
    await page.evaluate(`document.querySelector('#aggregates-body').dataset.old = '1'`);
    await page.selectOption('#aggregates-range', 'custom');
    await page.waitForURL(/range=custom/);
    await page.waitForSelector('#aggregates-body:not([data-old]) [data-chart][data-mounted]');
    expect(page.url()).toContain(`from=${encodeURIComponent(shownFrom)}`);
    expect(await page.isDisabled('#aggregates-from')).toBe(false);
    await page.selectOption('#aggregates-range', '7d');
    await page.waitForURL(/range=7d/);
    expect(page.url()).not.toContain('from=');
    await page.waitForSelector('#aggregates-body [data-chart][data-mounted]');
    await expectChartsDrawn(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the forecast part changes after a new minute of data, without a reload', async () => {
    const base = await listen(db);
    const { page, problems } = await watchedPage();
    await page.goto(`${base}/forecast?${q()}&refresh=5`, { waitUntil: 'networkidle' });
    await page.evaluate('window.__samePage = true');
    const before = await page.getAttribute('#forecast-live', 'data-latest');
    expect(before).toBe(new Date(seed.to - MIN).toISOString());
    await writeNextMinute(ilp, seed, seed.to);
    const next = new Date(seed.to).toISOString();
    await page.waitForSelector(`#forecast-live[data-latest="${next}"]`, { timeout: 30_000 });
    expect(await page.evaluate('window.__samePage')).toBe(true);
    expect(await page.textContent('#forecast-live .table-wrap table')).toContain(
      new Date(seed.to + MIN).toISOString().slice(11, 16),
    );
    await expectChartsDrawn(page);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('QuestDB down: a banner, then the page recovers by itself when it answers again', async () => {
    down = false;
    // "Down" is a real pool on a port nothing listens on, so the refusal takes the product's own error path.
    const unreachable = makeDb(testConfig({ QUESTDB_PG_PORT: '9' }), 1);
    const flaky: Db = {
      query: (sql, params) => (down ? unreachable.query(sql, params) : db.query(sql, params)),
      end: () => unreachable.end(),
    };
    const base = await listen(flaky);
    const { page, problems } = await watchedPage();
    down = true;
    await page.goto(`${base}/aggregates?${q()}&range=1d`, { waitUntil: 'networkidle' });
    expect(await page.textContent('.banner.down')).toContain('QuestDB is not reachable');
    await page.screenshot({ path: `${SHOTS}/questdb-down.png`, fullPage: true });
    await page.evaluate('window.__samePage = true');
    down = false;
    await page.waitForSelector('#aggregates-body [data-chart][data-mounted]', { timeout: 20_000 });
    expect(await page.$('.banner.down')).toBeNull();
    expect(await page.evaluate('window.__samePage')).toBe(true);
    await expectChartsDrawn(page);
    // The outage itself shows as 503 answers; nothing else may have gone wrong.
    expect(problems.filter((p) => !/503/.test(p))).toEqual([]);
    await page.close();
    await flaky.end();
  });

  it('links the QuestDB console, and serves the same data as CSV', async () => {
    const base = await listen(db);
    const { page } = await watchedPage();
    await page.goto(`${base}/aggregates?${q()}`, { waitUntil: 'networkidle' });
    expect(await page.getAttribute('header a.console', 'href')).toBe(
      `http://127.0.0.1:${config.QUESTDB_HTTP_PORT}/`,
    );
    const csv = await page.request.get(`${base}/api/aggregates?${q()}&range=1d&format=csv`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split('\r\n')[0]).toBe('ts,min,max,mean,first,last,count');
    await page.close();
  });
});
