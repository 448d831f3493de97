/**
 * `npm run soak -- --minutes N --seed S [--speed X] [--sabotage no-dedup|drop-spool] [--warmup M] [--faults-per-kind K]`
 *
 * The whole stack — a QuestDB and an AWS emulator of its own, the fake APIs, the poller, forecaster, jobs and web
 * processes — on one accelerated clock, while a seeded fault schedule strikes (see schedule.ts). At the end it
 * checks that nothing was lost or doubled, prints a table and exits non-zero with the differences if anything
 * failed. `--sabotage` breaks one thing on purpose, to show the soak cannot pass vacuously.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { makeS3 } from '../../common/aws.ts';
import { makeScaledClock } from '../../common/clock.ts';
import { configEnv, type Config } from '../../common/config.ts';
import { parseFlags, usageExit, wholeNumber } from '../../common/cli.ts';
import { makeLogger } from '../../common/log.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { runMigrations } from '../../migrations/migrate.ts';
import { makeFakeApi } from '../../fakes/server.ts';
import { fakeUrls } from '../support/fake-urls.ts';
import { startPrivateStack } from '../support/private-stack.ts';
import { readWholeArchive } from '../support/archive.ts';
import {
  abandonedResponses,
  archivedMinutes,
  logRecord,
  lostPolls,
  checkArchive,
  checkForecasts,
  checkRates,
  checkRejections,
  checkViews,
  type Check,
} from './checks.ts';
import { countKinds, makeSchedule, type FaultEvent } from './schedule.ts';
import { SOAK_SERVICES, startService, type Service } from './services.ts';

type Args = {
  minutes: number;
  seed: number;
  speed: number;
  sabotage: 'none' | 'no-dedup' | 'drop-spool';
  perKind?: number;
  /** Minutes before the first fault (default 62: the forecaster needs an hour of data). */
  warmup?: number;
};

const CLI = {
  name: 'soak',
  help: 'npm run soak -- --help',
  usage:
    'usage: npm run soak -- [--minutes 180] [--seed 1] [--speed 60] [--sabotage none|no-dedup|drop-spool]\n' +
    '                       [--faults-per-kind N] [--warmup 62]   (test/soak/soak.ts says more)',
};
const SABOTAGE = ['none', 'no-dedup', 'drop-spool'] as const;

/** The command line, read strictly: every problem named with its flag and value, or `--help`. */
function parseArgs(argv: string[]): Args | { errors: string[] } | { help: true } {
  const v = parseFlags(argv, {
    minutes: { type: 'string', default: '180' },
    seed: { type: 'string', default: '1' },
    speed: { type: 'string', default: '60' },
    sabotage: { type: 'string', default: 'none' },
    'faults-per-kind': { type: 'string' },
    warmup: { type: 'string' },
  });
  if ('errors' in v) return v;
  if (v.help) return { help: true };
  const errors: string[] = [];
  const sabotage = SABOTAGE.find((s) => s === v.sabotage);
  if (!sabotage) errors.push(`--sabotage "${v.sabotage}": use one of ${SABOTAGE.join(', ')}`);
  const perKind = v['faults-per-kind'];
  const args: Args = {
    minutes: wholeNumber(errors, 'minutes', v.minutes),
    seed: wholeNumber(errors, 'seed', v.seed),
    speed: wholeNumber(errors, 'speed', v.speed),
    sabotage: sabotage ?? 'none',
    ...(v.warmup !== undefined ? { warmup: wholeNumber(errors, 'warmup', v.warmup) } : {}),
    ...(perKind !== undefined ? { perKind: wholeNumber(errors, 'faults-per-kind', perKind) } : {}),
  };
  return errors.length ? { errors } : args;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Spool pressure: a poller of its own with a small spool bound, cut off from Firehose (a closed port) while QuestDB
 * stays reachable, polls until its spool holds PRESSURE_FILL of the bound; then it is restarted with Firehose
 * back and must drain everything it kept. A minute of four sources' envelopes is about 10% of this bound, so the
 * fill stops between 70% and the bound without reaching it.
 */
const PRESSURE_MAX_BYTES = 200_000;
const PRESSURE_FILL = 0.7;
const UNREACHABLE = 'http://127.0.0.1:9';
type PressureRun = {
  at: number;
  poller: string;
  peak: number;
  filled: boolean;
  drained: boolean;
  error?: string;
};

async function waitUntil(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await probe().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** WAL tables applied up to their sequencer, and views refreshed up to their base. */
async function settle(db: Db): Promise<boolean> {
  return waitUntil(async () => {
    const wal = await db.query<{ n: string }>(
      `SELECT count() n FROM wal_tables() WHERE writerTxn < sequencerTxn OR suspended`,
    );
    const views = await db.query<{ n: string }>(
      `SELECT count() n FROM materialized_views() WHERE refresh_base_table_txn < base_table_txn`,
    );
    return Number(wal[0]?.n) === 0 && Number(views[0]?.n) === 0;
  }, 90_000);
}

function spoolFiles(dir: string): number {
  return spoolUsage(dir).files;
}

/** Batch files and bytes queued in every spool under `dir`. */
function spoolUsage(dir: string): { files: number; bytes: number } {
  if (!existsSync(dir)) return { files: 0, bytes: 0 };
  let files = 0;
  let bytes = 0;
  for (const p of readdirSync(dir, { recursive: true }) as string[]) {
    if (!p.endsWith('.json')) continue;
    files++;
    try {
      bytes += statSync(join(dir, p)).size;
    } catch {
      /* delivered meanwhile */
    }
  }
  return { files, bytes };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if ('errors' in args || 'help' in args) return usageExit(CLI, args);
  const t0 = Date.now();
  const say = (s: string) =>
    process.stdout.write(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);
  const schedule = makeSchedule(args.minutes, args.seed, args.perKind, args.warmup);
  say(
    `${args.minutes} simulated minutes at ${args.speed}x, seed ${args.seed}, ${schedule.length} faults${args.sabotage !== 'none' ? `, SABOTAGE ${args.sabotage}` : ''}`,
  );

  const work = mkdtempSync(join(tmpdir(), 'soak-'));
  const logFile = join('test-results', `soak-${args.seed}.log`);
  mkdirSync('test-results', { recursive: true });
  const logLines: string[] = [];
  const log = (l: string) => logLines.push(l);

  const stack = await startPrivateStack(800 + (Number(process.env.TEST_PORT_OFFSET ?? 0) % 100));
  const { config } = stack;
  const db = makeDb(config, 2);
  const s3 = makeS3(config);
  const services: Service[] = [];
  /** Spool-pressure pollers running now (stopped in the end whatever happens). */
  const pressurePollers = new Set<Service>();
  try {
    if (args.sabotage === 'no-dedup') await db.query('ALTER TABLE rates DEDUP DISABLE');

    // The simulated run ends shortly before the real present: Firehose names objects by real arrival time, so
    // every envelope arrives (by its key) after its minute, as in production, and replay-s3 finds it.
    const simStart = Math.floor(Date.now() / 60_000) * 60_000 - (args.minutes + 10) * 60_000;
    // Time for the services to start (the dashboard is probed from minute 0) before the simulated run begins.
    const realStart = Date.now() + 12_000;
    const clock = makeScaledClock({ speed: args.speed, simStart, realStart });
    const fake = makeFakeApi({ seed: args.seed, clock });
    const urls = fakeUrls(await fake.start(0));
    const maxOutage = Math.max(1, ...schedule.filter((e) => e.kind.endsWith('-down')).map((e) => e.minutes));
    // The spool's bound: what the longest outage spools, with room to spare. An outage lasts its scheduled minutes
    // plus the target's restart (QuestDB takes up to ~20 s of real time: 20 simulated minutes at 60x). The four
    // sources spool about 50 KB a minute (envelopes and rows, measured); the report shows the peak fill.
    const perMinute = 60_000;
    const restartMinutes = Math.ceil((20 * args.speed) / 60);
    const spoolMax = Math.ceil(perMinute * (maxOutage + restartMinutes) * 1.25);
    const spoolBase = join(work, 'spool');
    const env = (extra: Record<string, string>) => ({
      ...process.env,
      ...configEnv(config),
      LOG_LEVEL: 'warn',
      SOURCES: 'blockchain,coinbase,coingecko,coindesk',
      BLOCKCHAIN_URL: urls.blockchain,
      COINBASE_URL: urls.coinbase,
      COINGECKO_URL: urls.coingecko,
      COINDESK_URL: urls.coindesk,
      SPOOL_DIR: spoolBase,
      SPOOL_MAX_BYTES: String(spoolMax),
      HTTP_TIMEOUT_MS: String(Math.max(200, Math.round(30_000 / args.speed))),
      HTTP_CONNECT_TIMEOUT_MS: '300',
      HTTP_RETRY_BASE_MS: '1000',
      FORECAST_SOURCES: 'blockchain',
      WEB_PORT: String(Number(config.WEB_PORT) + 800),
      CLOCK_SPEED: String(args.speed),
      CLOCK_SIM_START: iso(simStart),
      CLOCK_REAL_START: String(realStart),
      ...extra,
    });
    // The main poller's lines, also shown to whatever waits for one (the poller-kill fault).
    const pollerWatchers = new Set<(line: string) => void>();
    const pollerLog = (line: string) => {
      log(line);
      for (const watch of pollerWatchers) watch(line);
    };
    let poller = startService(
      'poller',
      'ingest/main.ts',
      env({ POLLER_ID: 'main', LOG_LEVEL: 'info' }),
      pollerLog,
    );
    let second: Service | null = null;
    for (const s of SOAK_SERVICES) services.push(startService(s.name, s.entry, env({}), log));
    const webUrl = SOAK_SERVICES.some((s) => s.name === 'web')
      ? `http://127.0.0.1:${Number(config.WEB_PORT) + 800}`
      : null;
    if (webUrl)
      await waitUntil(
        async () => (await fetch(`${webUrl}/health`, { signal: AbortSignal.timeout(2_000) })).status > 0,
        30_000,
      );

    const minuteAt = (i: number) => simStart + i * 60_000;
    const waitSim = async (sim: number) => {
      while (clock.now() < sim) await new Promise((r) => setTimeout(r, 10));
    };
    const faults = [...schedule].sort((a, b) => a.at - b.at);
    const pending: { at: number; run: () => Promise<void> }[] = [];
    const probes: { ms: number; ok: boolean; status: number }[] = [];
    const peakSpool = { files: 0, bytes: 0 };
    const pressures: PressureRun[] = [];
    const pressureTasks: Promise<void>[] = [];
    const strike = async (e: FaultEvent) => {
      say(
        `minute ${e.at}: ${e.kind}${e.minutes ? ` for ${e.minutes} min` : ''}${e.kind.startsWith('api') ? ` on ${e.source}` : ''}`,
      );
      switch (e.kind) {
        case 'questdb-down':
          await stack.killQuestdb();
          pending.push({ at: minuteAt(e.at + e.minutes) + 30_000, run: () => stack.restartQuestdb() });
          if (args.sabotage === 'drop-spool')
            pending.push({
              at: minuteAt(e.at + e.minutes) + 10_000,
              run: async () => {
                // Sabotage: what the poller kept for QuestDB during the outage is thrown away.
                rmSync(join(spoolBase, 'main', 'store'), { recursive: true, force: true });
                mkdirSync(join(spoolBase, 'main', 'store'), { recursive: true });
              },
            });
          break;
        case 'emulator-down': {
          // The emulator's S3 is durable (stack/moto_archive.py): what it stored survives the kill, with no copy
          // kept here. It goes down mid-minute, when no poll is writing.
          await waitSim(minuteAt(e.at) + 20_000);
          await stack.killMoto();
          pending.push({ at: minuteAt(e.at + e.minutes) + 30_000, run: () => stack.restartMoto() });
          break;
        }
        case 'api-5xx':
          fake.inject(e.source, { kind: 'status', status: 503 }, 2);
          break;
        case 'api-429':
          fake.inject(e.source, { kind: 'rate_limit', retryAfterSeconds: 5 }, 1);
          break;
        case 'api-hang':
          fake.inject(e.source, { kind: 'hang' }, 1);
          break;
        case 'api-garbage':
          fake.inject(
            e.source,
            e.variant === 'html' ? { kind: 'html', status: 200 } : { kind: e.variant },
            1,
          );
          break;
        case 'poller-kill': {
          // Kill it mid-poll, while blockchain's answer is slow (queued before the minute, so that minute's call
          // gets it) and no other source of the minute is between its archive and its store: once the other
          // sources have logged the minute as polled (written or spooled both ways). A kill between the two
          // would leave a minute archived but not stored, which only the hourly gap repair brings back. The
          // slow answer outlasts the fallback (20 s into the minute), so blockchain is mid-wait either way.
          fake.inject('blockchain', { kind: 'slow', ms: Math.round(25_000 / args.speed) }, 1);
          const minute = minuteAt(e.at);
          const minuteIso = new Date(minute).toISOString(); // as the poller logs it
          const others = new Set(['coinbase', 'coingecko', 'coindesk']);
          let allPolled = () => {};
          const polled = new Promise<void>((resolve) => (allPolled = resolve));
          const watch = (line: string) => {
            if (!line.includes('"polled"')) return;
            const r = logRecord(line);
            if (r?.service !== 'poller' || r.record.msg !== 'polled' || r.record.minute !== minuteIso) return;
            if (r.record.source) others.delete(r.record.source);
            if (others.size === 0) allPolled();
          };
          pollerWatchers.add(watch);
          pending.push({
            at: minute,
            run: async () => {
              await Promise.race([polled, waitSim(minute + 20_000)]);
              pollerWatchers.delete(watch);
              await poller.stop('SIGKILL');
              const waiting = others.size ? `; ${[...others].join(', ')} not yet polled` : '';
              say(
                `poller killed ${((clock.now() - minute) / 1000).toFixed(1)} s into minute ${e.at}${waiting}`,
              );
              poller = startService(
                'poller',
                'ingest/main.ts',
                env({ POLLER_ID: 'main', LOG_LEVEL: 'info' }),
                pollerLog,
              );
            },
          });
          break;
        }
        case 'second-poller':
          second = startService('poller-2', 'ingest/main.ts', env({ POLLER_ID: 'second' }), log);
          pending.push({ at: minuteAt(e.at + e.minutes), run: async () => void (await second?.stop()) });
          break;
        case 'spool-pressure': {
          const run: PressureRun = {
            at: e.at,
            poller: `pressure-${pressures.length + 1}`,
            peak: 0,
            filled: false,
            drained: false,
          };
          pressures.push(run);
          const dir = join(spoolBase, run.poller);
          const start = (extra: Record<string, string>) => {
            const svc = startService(
              run.poller,
              'ingest/main.ts',
              // At info, so its polls' outcomes are logged: one whose store batch found the spool full is lost
              // (by design, loudly) and only a replay brings its polls rows back (see `lostPolls`).
              env({
                POLLER_ID: run.poller,
                SPOOL_MAX_BYTES: String(PRESSURE_MAX_BYTES),
                LOG_LEVEL: 'info',
                ...extra,
              }),
              log,
            );
            pressurePollers.add(svc);
            return svc;
          };
          const stop = async (svc: Service) => {
            await svc.stop();
            pressurePollers.delete(svc);
          };
          const deadline = minuteAt(e.at + e.minutes);
          pressureTasks.push(
            (async () => {
              const cutOff = start({ AWS_ENDPOINT_URL: UNREACHABLE });
              for (;;) {
                const fill = spoolUsage(dir).bytes / PRESSURE_MAX_BYTES;
                run.peak = Math.max(run.peak, fill);
                if (fill >= PRESSURE_FILL || clock.now() >= deadline) break;
                await new Promise((r) => setTimeout(r, 100));
              }
              await stop(cutOff);
              run.peak = Math.max(run.peak, spoolUsage(dir).bytes / PRESSURE_MAX_BYTES);
              run.filled = run.peak >= PRESSURE_FILL;
              say(`${run.poller}: spool at ${(run.peak * 100).toFixed(0)}% of its bound; Firehose back`);
              const back = start({});
              run.drained = await waitUntil(async () => spoolFiles(dir) === 0, 120_000);
              await stop(back);
            })().catch((err: unknown) => {
              // Reported by the check below; the run goes on so the other checks still say what they found.
              run.error = (err as Error).message;
            }),
          );
          break;
        }
      }
    };

    for (let i = 0; i < args.minutes; i++) {
      const minute = minuteAt(i);
      // API faults (and the poller kill's slow answer) are queued just before their minute; process faults
      // strike at it.
      const early = (f: FaultEvent) => f.kind.startsWith('api') || f.kind === 'poller-kill';
      for (const e of faults.filter((f) => f.at === i && early(f))) {
        await waitSim(minute - 5_000);
        await strike(e);
      }
      await waitSim(minute);
      for (const e of faults.filter((f) => f.at === i && !early(f))) await strike(e);
      for (const p of [...pending].sort((a, b) => a.at - b.at)) {
        if (p.at > minute + 60_000) continue;
        await waitSim(p.at);
        pending.splice(pending.indexOf(p), 1);
        await p.run();
      }
      const usage = spoolUsage(spoolBase);
      peakSpool.files = Math.max(peakSpool.files, usage.files);
      peakSpool.bytes = Math.max(peakSpool.bytes, usage.bytes);
      if (webUrl) {
        const s = performance.now();
        // Answering means a page within 5 s: 503 is the dashboard's designed answer while QuestDB is down (the
        // page with its outage banner), counted apart; a 500, a timeout or a refused connection is an error.
        const status = await fetch(`${webUrl}/health`, { signal: AbortSignal.timeout(5_000) })
          .then(async (r) => (await r.arrayBuffer(), r.status))
          .catch(() => 0);
        probes.push({
          ms: performance.now() - s,
          ok: status > 0 && (status < 500 || status === 503),
          status,
        });
      }
      if (i % 30 === 0) say(`minute ${i} of ${args.minutes}`);
    }
    for (const p of pending.sort((a, b) => a.at - b.at)) await p.run();
    await Promise.all(pressureTasks);
    const to = minuteAt(args.minutes);
    await waitSim(to + 3 * 60_000);
    say('settling: waiting for the spools to drain');
    const drained = await waitUntil(async () => spoolFiles(spoolBase) === 0, 120_000);
    await poller.stop();
    if (second) await (second as Service).stop();
    await settle(db);
    say('checking');

    const from = simStart;
    const allServed = fake.served;
    const final = await readWholeArchive(s3, config.RAW_BUCKET, config.RAW_PREFIX);
    const checks: Check[] = [];
    const runEnvelopes = final.envelopes.filter(
      (e) => Date.parse(e.minute) >= from - 60_000 && Date.parse(e.minute) < to + 60_000,
    );
    const labels = archivedMinutes(allServed, runEnvelopes);
    // What a poller timed out on as the fake was answering never reached it: not expected in S3 or `rates`.
    const abandoned = abandonedResponses(allServed, runEnvelopes, labels);
    const served = allServed.filter((s) => !abandoned.has(s));
    checks.push(await checkRates(db, served, labels, from, to));
    checks.push(checkArchive(served, runEnvelopes, labels, from, to, abandoned.size));
    checks.push(await checkRejections(db, served, labels, from, to));
    checks.push(await checkViews(db, from, to));
    if (SOAK_SERVICES.some((s) => s.name === 'forecaster'))
      checks.push(await checkForecasts(db, ['blockchain'], from, to));
    checks.push({
      name: 'spools drained',
      ok: drained,
      detail: `peak ${peakSpool.files} batch files, ${peakSpool.bytes} bytes = ${((100 * peakSpool.bytes) / spoolMax).toFixed(0)}% of the ${spoolMax}-byte bound (all spools)`,
      differences: drained ? [] : [`${spoolFiles(spoolBase)} batch files still spooled`],
    });
    checks.push({
      name: 'spool near its bound, then drained',
      ok: pressures.every((p) => p.filled && p.drained && !p.error),
      detail:
        pressures.length === 0
          ? 'no spool-pressure fault in this run'
          : `${pressures.length} poller${pressures.length === 1 ? '' : 's'} cut off from Firehose with a ${PRESSURE_MAX_BYTES}-byte bound: peaks ${pressures.map((p) => `${(p.peak * 100).toFixed(0)}%`).join(', ')} of it (target ${PRESSURE_FILL * 100}%), then drained`,
      differences: pressures
        .filter((p) => !p.filled || !p.drained || p.error)
        .map((p) =>
          p.error
            ? `${p.poller} (minute ${p.at}): ${p.error}`
            : !p.filled
              ? `${p.poller} (minute ${p.at}): its spool reached only ${(p.peak * 100).toFixed(0)}% of the bound`
              : `${p.poller} (minute ${p.at}): its spool did not drain`,
        ),
    });
    checks.push({
      name: 'archive objects parse',
      ok: final.corrupt.length === 0,
      detail: `${final.objects.size} objects`,
      differences: final.corrupt.slice(0, 8),
    });
    if (webUrl) {
      const sorted = probes.map((p) => p.ms).sort((a, b) => a - b);
      const errors = probes.filter((p) => !p.ok).length;
      checks.push({
        name: 'dashboard answered throughout',
        ok: errors === 0,
        detail: `${probes.length} probes, ${errors} errors, ${probes.filter((p) => p.status === 503).length} outage pages (503), p95 ${(sorted[Math.floor(sorted.length * 0.95)] ?? 0).toFixed(1)} ms`,
        differences: probes
          .filter((p) => !p.ok)
          .map((p) => `probe answered ${p.status || 'nothing'} after ${p.ms.toFixed(0)} ms`),
      });
    }
    for (const s of services) await s.stop();
    services.length = 0;
    // Simulated minutes lie in the past of the real arrival times of their objects by up to the time since the
    // simulated start (more than a day for a 24-hour soak): the replay's arrival slack must cover that.
    const slackMinutes = Math.ceil((Date.now() - simStart) / 60_000) + 10;
    checks.push(await checkReplay(db, config, { from, to, slackMinutes }, say, lostPolls(logLines)));

    const counts = countKinds(schedule);
    const lines = [
      `# Soak report`,
      '',
      `${args.minutes} simulated minutes at ${args.speed}x (seed ${args.seed}${args.sabotage !== 'none' ? `, sabotage ${args.sabotage}` : ''}), ${((Date.now() - t0) / 1000).toFixed(0)} s wall; ${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      '',
      '| fault | count |',
      '|---|---|',
      ...Object.entries(counts).map(([k, n]) => `| ${k} | ${n} |`),
      '',
      '| check | result | detail |',
      '|---|---|---|',
      ...checks.map((c) => `| ${c.name} | ${c.ok ? 'PASS' : 'FAIL'} | ${c.detail} |`),
    ];
    const failed = checks.filter((c) => !c.ok);
    for (const c of failed) lines.push('', `## ${c.name}`, ...c.differences.map((d) => `- ${d}`));
    const report = lines.join('\n');
    process.stdout.write(`\n${report}\n`);
    writeFileSync(join('test-results', `soak-${args.seed}.md`), report + '\n');
    writeFileSync(
      join('test-results', `soak-${args.seed}.json`),
      JSON.stringify({ args, counts, checks, schedule }, null, 2),
    );
    writeFileSync(logFile, logLines.join('\n') + '\n');
    say(`services' logs: ${logFile}`);
    await fake.stop();
    return failed.length === 0 ? 0 : 1;
  } finally {
    for (const s of [...services, ...pressurePollers]) await s.stop();
    s3.destroy();
    await db.end();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Drop every table, migrate again, replay S3 over the run: the tables must come back row for row. The one
 * exception is polls rows of polls a poller logged as lost (`lost`): the replay restores those, and says so.
 */
async function checkReplay(
  db: Db,
  config: Config,
  range: { from: number; to: number; slackMinutes: number },
  say: (s: string) => void,
  lost: Set<string>,
): Promise<Check> {
  const { from, to } = range;
  const replay = 'migrations/backfills/replay-s3.ts';
  if (!existsSync(replay))
    return {
      name: 'replay from S3 rebuilds the tables',
      ok: false,
      detail: 'replay-s3 backfill not present',
      differences: [],
    };
  const snapshot = async () => ({
    rates: (
      await db.query(
        `SELECT ts, source, currency, rate, quote_ts FROM rates WHERE ts >= $1 AND ts < $2 ORDER BY ts, source, currency`,
        [iso(from), iso(to)],
      )
    ).map((r) => JSON.stringify(r)),
    polls: (
      await db.query(
        `SELECT ts, source, attempt, poller, fetched_at, http_status, latency_ms, bytes, accepted, rejected, archive_id, reason, error FROM polls WHERE ts >= $1 AND ts < $2 ORDER BY ts, source, attempt, poller`,
        [iso(from), iso(to)],
      )
    ).map((r) => JSON.stringify(r)),
  });
  const before = await snapshot();
  say(
    `replay: dropping every table (${before.rates.length} rates, ${before.polls.length} polls rows in the run)`,
  );
  for (const v of await db.query<{ view_name: string }>(`SELECT view_name FROM materialized_views()`))
    await db.query(`DROP MATERIALIZED VIEW IF EXISTS ${v.view_name}`);
  for (const t of await db.query<{ table_name: string }>(`SELECT table_name FROM tables()`))
    await db.query(`DROP TABLE IF EXISTS ${t.table_name}`);
  await runMigrations(db, makeLogger('migrate', 'silent'));
  const env = { ...process.env, ...configEnv(config), LOG_LEVEL: 'warn' };
  // Not spawnSync: this process must keep reading the emulator's and QuestDB's output pipes meanwhile, or the
  // emulator blocks writing its access log and the replay waits on it forever.
  const r = await new Promise<{ status: number | null; out: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', 'migrations/backfill.ts', 'replay-s3'],
        ...['--from', iso(from), '--to', iso(to), '--slack', `${range.slackMinutes}m`],
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.once('exit', (status) => resolve({ status, out }));
  });
  say(`replay-s3 exited ${r.status}`);
  await settle(db);
  const after = await snapshot();
  const diff = (a: string[], b: string[]) => {
    const sb = new Set(b);
    return a.filter((x) => !sb.has(x));
  };
  const restoredLost = (row: string) => {
    const r = JSON.parse(row) as { ts: string; source: string; poller: string };
    return lost.has(`${new Date(r.ts).toISOString()}|${r.source}|${r.poller}`);
  };
  const restored = diff(after.polls, before.polls).filter(restoredLost).length;
  const differences = [
    ...diff(before.rates, after.rates).map((x) => `rates row lost by replay: ${x}`),
    ...diff(after.rates, before.rates).map((x) => `rates row only after replay: ${x}`),
    ...diff(before.polls, after.polls).map((x) => `polls row lost by replay: ${x}`),
    ...diff(after.polls, before.polls)
      .filter((x) => !restoredLost(x))
      .map((x) => `polls row only after replay: ${x}`),
  ];
  if (r.status !== 0) differences.unshift(`replay-s3 exited ${r.status}: ${r.out.slice(-400)}`);
  return {
    name: 'replay from S3 rebuilds the tables row for row',
    ok: differences.length === 0,
    detail: `rates ${before.rates.length} → ${after.rates.length}, polls ${before.polls.length} → ${after.polls.length}${restored ? ` (${restored} rows of polls logged as lost, restored)` : ''}`,
    differences: differences.slice(0, 8),
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`soak failed to run: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(2);
  },
);
