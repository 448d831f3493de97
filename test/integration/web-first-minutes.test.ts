/**
 * A fresh `--demo` stack's first fifteen minutes in headless Chromium: a QuestDB and an AWS emulator of the test's
 * own (empty, migrated), the fake rate APIs, and the project's poller, jobs, forecaster and web processes on one
 * accelerated clock. Every page is visited again and again while the minutes pass. Each visit checks that every
 * chart has drawn its data (series pixels inside the plot, a marker when there is one point, an x axis around the
 * data, no repeated time label) and that each message matches the state: what QuestDB held before the page was
 * asked for must be shown, and the forecast page's wait states the forecaster's real condition.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeScaledClock } from '../../common/clock.ts';
import type { Clock } from '../../common/types.ts';
import { makeFakeApi } from '../../fakes/server.ts';
import { MIN_POINTS } from '../../forecast/forecaster.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { startService, type Service } from '../soak/services.ts';
import { fakeUrls } from '../support/fake-urls.ts';
import { startPrivateStack } from '../support/private-stack.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const SPEED = 10;
const MINUTES = 15;
const SHOTS = 'test-results/screenshots/first-minutes';

let stack: Awaited<ReturnType<typeof startPrivateStack>>;
let fake: ReturnType<typeof makeFakeApi>;
let db: Db;
let browser: Browser;
let clock: Clock;
let simStart: number;
let webUrl: string;
const services: Service[] = [];
const output: string[] = [];
const work = mkdtempSync(join(tmpdir(), 'first-minutes-'));

/** A port nothing listens on now (the web service's, so it cannot meet another test's server). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startPrivateStack(70);
  const config = stack.config;
  db = makeDb(config, 2);
  // Simulated time starts five minutes into an hour, so the polls made while the services start (up to 15 s
  // of real time, 2.5 simulated minutes, before it) and the fifteen minutes all fall in one hourly bucket; it
  // ends before the real present, as in the soak (Firehose names objects by arrival time).
  simStart = Math.floor(Date.now() / HOUR) * HOUR - HOUR + 5 * MIN;
  // Time for the services to start before the first simulated minute begins.
  const realStart = Date.now() + 15_000;
  clock = makeScaledClock({ speed: SPEED, simStart, realStart });
  fake = makeFakeApi({ seed: 7, clock });
  const urls = fakeUrls(await fake.start(0));
  const webPort = await freePort();
  webUrl = `http://127.0.0.1:${webPort}`;
  const env = {
    ...process.env,
    LOG_LEVEL: 'warn',
    QUESTDB_HOST: config.QUESTDB_HOST,
    QUESTDB_HTTP_PORT: String(config.QUESTDB_HTTP_PORT),
    QUESTDB_PG_PORT: String(config.QUESTDB_PG_PORT),
    QUESTDB_HEALTH_PORT: String(config.QUESTDB_HEALTH_PORT),
    QUESTDB_ILP_TCP_PORT: String(config.QUESTDB_ILP_TCP_PORT),
    MOTO_PORT: String(config.MOTO_PORT),
    AWS_ENDPOINT_URL: config.AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    RAW_BUCKET: config.RAW_BUCKET,
    FIREHOSE_STREAM: config.FIREHOSE_STREAM,
    SOURCES: 'blockchain,coinbase,coingecko,coindesk',
    BLOCKCHAIN_URL: urls.blockchain,
    COINBASE_URL: urls.coinbase,
    COINGECKO_URL: urls.coingecko,
    COINDESK_URL: urls.coindesk,
    SPOOL_DIR: join(work, 'spool'),
    WEB_PORT: String(webPort),
    CLOCK_SPEED: String(SPEED),
    CLOCK_SIM_START: new Date(simStart).toISOString(),
    CLOCK_REAL_START: String(realStart),
  };
  const log = (line: string) => output.push(line);
  for (const [name, entry] of [
    ['poller', 'ingest/main.ts'],
    ['jobs', 'jobs/main.ts'],
    ['forecaster', 'forecast/main.ts'],
    ['web', 'web/main.ts'],
  ] as const)
    services.push(startService(name, entry, env, log));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(`${webUrl}/health`, { signal: AbortSignal.timeout(2_000) }).then(
      async (r) => (await r.text()).includes('BTC rates'),
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`the web service did not come up:\n${output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(services.map((s) => s.stop()));
  await fake?.stop();
  await db?.end();
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** What a page's charts show: per chart, its data, what uPlot drew and the time labels of its x axis. */
type Drawn = {
  label: string;
  x: number[];
  step: number;
  present: number[];
  pixels: number;
  scale: [number, number];
  labels: string[];
};

async function chartsOf(page: Page): Promise<Drawn[]> {
  return page.$$eval('[data-chart]', (els) =>
    els.map((el) => {
      const spec = JSON.parse(el.getAttribute('data-chart')!) as {
        x: number[];
        step?: number;
        series: { values: (number | null)[]; color: string }[];
      };
      const chart = (el as unknown as { __chart: any }).__chart; // eslint-disable-line @typescript-eslint/no-explicit-any
      const canvas = el.querySelector('canvas')!;
      const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      const colours = spec.series.map((s) => rgb(s.color));
      // Pixels inside the plot area in one of the series' colours: lines, points (grid and axes are grey).
      const box = chart.bbox as { left: number; top: number; width: number; height: number };
      const img = canvas
        .getContext('2d')!
        .getImageData(box.left, box.top, Math.max(1, box.width), Math.max(1, box.height));
      let pixels = 0;
      for (let i = 0; i < img.data.length; i += 4) {
        if (img.data[i + 3]! < 200) continue;
        const px = [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
        if (colours.some((c) => c.every((v, k) => Math.abs(v - px[k]!) <= 24))) pixels++;
      }
      return {
        label: el.getAttribute('aria-label') ?? '',
        x: spec.x,
        step: spec.step ?? 60,
        present: spec.series.map((s) => s.values.filter((v) => v !== null).length),
        pixels,
        scale: [chart.scales.x.min, chart.scales.x.max] as [number, number],
        labels: ((chart.axes[0]._values ?? []) as (string | null)[]).filter((v): v is string => !!v),
      };
    }),
  );
}

/** Every chart drew its data, on an x axis around it, with no time label twice. */
function expectDrawn(charts: Drawn[], where: string): void {
  for (const c of charts) {
    const what = `${where}: ${c.label}`;
    expect(c.x.length, what).toBeGreaterThan(0);
    expect(Math.max(...c.present), what).toBeGreaterThan(0);
    expect(c.pixels, `${what}: series pixels in the plot`).toBeGreaterThan(15);
    const [lo, hi] = c.scale;
    const span = Math.max(c.x.at(-1)! - c.x[0]!, 2 * c.step);
    expect(lo, what).toBeLessThanOrEqual(c.x[0]!);
    expect(hi, what).toBeGreaterThanOrEqual(c.x.at(-1)!);
    expect(hi - lo, `${what}: x axis ${lo}..${hi} around the data`).toBeLessThanOrEqual(span * 1.5);
    expect(new Set(c.labels).size, `${what}: labels ${c.labels.join(', ')}`).toBe(c.labels.length);
  }
}

const count = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0]?.n ?? 0);

/** One visit of a page: what QuestDB held just before, then the page, its charts and its text. */
async function visit(path: string) {
  const before = {
    rates: await count(`SELECT count() n FROM rates WHERE source = 'blockchain' AND currency = 'USD'`),
    forecasts: await count(
      `SELECT count() n FROM forecasts WHERE source = 'blockchain' AND currency = 'USD'`,
    ),
    polls: await count('SELECT count() n FROM polls'),
    jobRuns: await count('SELECT count() n FROM job_runs'),
  };
  const minute = Math.floor((clock.now() - simStart) / MIN);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`status ${r.status()}: ${r.url()}`);
  });
  await page.goto(webUrl + path, { waitUntil: 'networkidle' });
  await page.waitForFunction(
    "[...document.querySelectorAll('[data-chart]')].every((el) => el.hasAttribute('data-mounted'))",
  );
  const charts = await chartsOf(page);
  const text = await page.evaluate<string>(
    "document.querySelector('main')?.textContent ?? document.body.outerHTML",
  );
  return { page, before, minute, charts, text, problems };
}

describe('a fresh demo stack, its first fifteen minutes in the browser', () => {
  it(
    'every page draws what there is and says what is missing, minute by minute',
    async () => {
      const seen = { waitingForPoll: 0, forecastWait: 0, forecasts: 0, oneBucket: 0, visits: 0 };
      let minute = 0;
      const walk: string[] = [];
      while (minute < MINUTES) {
        for (const path of ['/forecast', '/history', '/aggregates', '/health']) {
          const v = await visit(path);
          minute = v.minute;
          const where = `minute ${v.minute} ${path}`;
          seen.visits++;
          expect(v.problems, where).toEqual([]);
          if (v.text.includes('Waiting for the first poll')) {
            // Rates there before the page was asked for are shown (the catalog is cached for 30 s).
            expect(v.before.rates === 0 || v.minute < 2, where).toBe(true);
            expect(v.charts, where).toEqual([]);
            seen.waitingForPoll++;
            walk.push(`${where}: waiting for the first poll`);
            await v.page.close();
            continue;
          }
          expectDrawn(v.charts, where);
          if (path === '/forecast') {
            const rate = v.charts[0]?.present[0] ?? 0;
            const wait = await v.page.$('#forecast-waiting');
            if (wait) {
              const said = (await wait.textContent())!.replace(/\s+/g, ' ');
              expect(v.before.forecasts, `${where}: forecasts in QuestDB, page says ${said}`).toBe(0);
              if (rate < MIN_POINTS)
                expect(said, where).toContain(
                  `needs ${MIN_POINTS} minutes of rates within the last 60 minutes and has ${rate}, so the first ones come in about ${MIN_POINTS - rate} minute`,
                );
              else expect(said, where).toContain(`its ${rate} minutes of rates are enough`);
              expect(said).not.toContain('hour of data');
              seen.forecastWait++;
            } else {
              expect(await v.page.textContent('#forecast-live table'), where).toContain('persistence');
              expect(rate, `${where}: forecasts shown with ${rate} rates`).toBeGreaterThanOrEqual(MIN_POINTS);
              seen.forecasts++;
            }
          }
          if (path === '/history')
            expect(v.text, where).toMatch(new RegExp(`Buckets\\s*${v.charts[0]!.x.length} of`));
          walk.push(
            `${where}: charts ${v.charts.map((c) => `${c.x.length} x, ${c.pixels} px`).join('; ')}; labels ${v.charts[0]?.labels.join(' ')}`,
          );
          if (path === '/aggregates') {
            const n = v.charts[0]!.x.length;
            expect(v.text, where).toContain(n === 1 ? '1 bucket (' : `${n} buckets (`);
            if (n === 1) seen.oneBucket++;
          }
          if (path === '/health') {
            if (v.before.polls > 0) {
              expect(v.text, where).not.toContain('No sources known yet');
              expect(v.text, where).toContain('blockchain');
            }
            if (v.before.jobRuns > 0) expect(v.text, where).not.toContain('No job runs in the last 7 days');
          }
          await v.page.screenshot({
            path: `${SHOTS}/m${v.minute}${path.replace('/', '-')}.png`,
            fullPage: true,
          });
          await v.page.close();
        }
      }
      // The walk saw the first hour's states: the wait for forecasts, then forecasts, and one hourly bucket.
      const states = walk.join('\n');
      writeFileSync(`${SHOTS}/walk.txt`, `${states}\n`);
      expect(seen.forecastWait, states).toBeGreaterThan(0);
      expect(seen.forecasts, states).toBeGreaterThan(0);
      expect(seen.oneBucket, states).toBeGreaterThan(0);
    },
    ((MINUTES + 3) * MIN) / SPEED + 120_000,
  );
});
