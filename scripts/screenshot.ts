/**
 * `npm run docs:screenshot`: docs/img/dashboard.png, the forecast page of `npm start -- --demo`.
 * Starts the demo stack on ports and a STACK_DIR of its own (ports shifted by TEST_PORT_OFFSET), on a clock that
 * starts two simulated hours ago and runs 30 times faster, so the page has an hour of data and forecasts within
 * minutes; waits until the page shows them, screenshots it in headless Chromium, and stops everything.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'docs/img/dashboard.png';
const offset = Number(process.env.TEST_PORT_OFFSET ?? 0);
const port = (p: number) => String(p + offset);
const web = `http://127.0.0.1:${port(38080)}`;
const TIMEOUT_MS = 8 * 60_000;

const STACK_DIR = '.stack/screenshot';
/** The demo's database and spool: emptied before and after each run (the installed QuestDB and moto stay). */
const clean = () => {
  for (const dir of ['questdb/root', 'spool'])
    rmSync(join(ROOT, STACK_DIR, dir), { recursive: true, force: true });
};
clean();

const env = {
  ...process.env,
  STACK_DIR,
  QUESTDB_HTTP_PORT: port(39000),
  QUESTDB_PG_PORT: port(38812),
  QUESTDB_ILP_TCP_PORT: port(39009),
  QUESTDB_HEALTH_PORT: port(39003),
  MOTO_PORT: port(34566),
  FAKE_API_PORT: port(38099),
  WEB_PORT: port(38080),
  CLOCK_SPEED: '30',
  CLOCK_SIM_START: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000).toISOString(),
  CLOCK_REAL_START: String(Date.now()),
  LOG_LEVEL: 'warn',
};

const stack = spawn(process.execPath, ['--import', 'tsx', 'stack/supervisor.ts', '--demo'], {
  cwd: ROOT,
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));

/** True once the demo has an hour of BTC-USD rates and forecasts of every horizon to show. */
async function ready(): Promise<boolean> {
  try {
    const rows = async (path: string) =>
      ((await (await fetch(`${web}${path}`)).json()) as { rows?: unknown[] }).rows?.length ?? 0;
    const series = 'source=blockchain&currency=USD';
    return (
      (await rows(`/api/history?${series}&range=1h`)) >= 55 && (await rows(`/api/forecasts?${series}`)) >= 6
    );
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  let stopped = false;
  void exited.then(() => (stopped = true));
  while (!(await ready())) {
    if (stopped) throw new Error('the demo stack exited before the dashboard showed data');
    if (Date.now() > deadline) throw new Error(`no data on ${web} within ${TIMEOUT_MS / 60_000} minutes`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${web}/forecast?source=blockchain&currency=USD`, { waitUntil: 'networkidle' });
    await page.waitForSelector('[data-chart][data-mounted]');
    await page.screenshot({ path: OUT });
    console.log(`wrote ${OUT}`);
  } finally {
    await browser.close();
  }
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error(`docs:screenshot: ${(err as Error).message}`);
  code = 1;
}
stack.kill('SIGTERM');
await exited;
clean();
process.exit(code);
