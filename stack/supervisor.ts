/** `npm start`: the local stack without Docker; a signal stops it in reverse order, a second kills it. */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMain, parseFlags, usageLine } from '../common/cli.ts';
import { configEnv, loadConfigOrExit, loadEnv, projectPath, type Config } from '../common/config.ts';
import { formatLogLine, makeLogger } from '../common/log.ts';
import { makeDb } from '../sql/db.ts';
import { runMigrations } from '../migrations/migrate.ts';
import { bootstrapArchive } from './bootstrap.ts';
import { commandLine, isAlive } from '../common/pidlock.ts';
import { acquireLock, AlreadyRunning, type Lock } from './lock.ts';
import { emulatorDataDir, installMoto, startMoto } from './moto.ts';
import { installQuestdb, startQuestdb } from './questdb.ts';
import { busy, liveChildren, nodeArgs, spawnManaged, stopManaged, stopPid, type Managed } from './process.ts';
import { SERVICES, demoEnv, restartDelay, type ServiceSpec } from './services.ts';
import { plainOutput, stripAnsi } from './logfmt.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const say = (s: string) => process.stdout.write(`${'supervisor'.padEnd(10)}| ${s}\n`);

const USAGE = `usage: npm start [-- --demo]

  --demo   also run the local fake rate APIs and poll them instead of the internet (fully offline)

Settings come from the environment, then the .env file of the project folder, then the defaults; every
npm run tool (backfill, backtest, migrate, bootstrap) reads them the same way. Ctrl-C, SIGINT or SIGTERM stops
the stack.`;

/** The command line: `--demo` or `--help`; anything else is refused in one line. Pure. */
export function parseSupervisorArgs(args: string[]): { demo: boolean; help: boolean } | { error: string } {
  const flags = parseFlags(args, { demo: { type: 'boolean', default: false } });
  if ('errors' in flags) return { error: usageLine('npm start', flags.errors, 'npm start -- --help') };
  return { demo: flags.demo, help: flags.help };
}

async function main(): Promise<void> {
  const args = parseSupervisorArgs(process.argv.slice(2));
  if ('error' in args) {
    process.stderr.write(`${args.error}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const baseEnv = loadEnv();
  const baseConfig = loadConfigOrExit(baseEnv);
  const stackDir = projectPath(baseConfig.STACK_DIR);
  mkdirSync(stackDir, { recursive: true });

  let lock: Lock;
  const leftovers: Promise<void>[] = [];
  try {
    lock = acquireLock(resolve(stackDir, 'run.lock'), (stale) => {
      // A crashed run's children, if still ours (pids are reused): the stack folder or a service's entry file.
      const ours = [stackDir, ...SERVICES.map((s) => resolve(ROOT, s.entry).replace(/\.ts$/, '.'))];
      for (const [name, pid] of Object.entries(stale.children)) {
        const cmd = commandLine(pid) ?? '';
        if (isAlive(pid) && ours.some((p) => cmd.includes(p))) {
          say(`stopping ${name} (pid ${pid}) left behind by a crashed run`);
          leftovers.push(stopPid(pid, name === 'questdb' ? 30_000 : 10_000));
        }
      }
    });
  } catch (err) {
    if (err instanceof AlreadyRunning) {
      process.stderr.write(`npm start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const running: Managed[] = [];
  const children = () => Object.fromEntries(running.map((m) => [m.name, m.child.pid ?? 0]));
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping services in reverse order ...');
    for (const m of [...running].reverse()) {
      await stopManaged(m, m.name === 'questdb' ? 30_000 : 10_000);
      say(`${m.name} stopped`);
    }
    // A process still starting when the stop came (QuestDB or the emulator not answering yet).
    for (const m of liveChildren()) await stopManaged(m, 10_000);
    lock.release();
    process.exit(code);
  };
  // A second signal kills every child; Ctrl-C under npm arrives twice, so one within a second is the same.
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!firstSignalAt) {
      firstSignalAt = Date.now();
      say(`${signal}: stopping (a second signal kills everything at once)`);
      void stopAll(0);
    } else if (Date.now() - firstSignalAt >= 1_000) {
      say(`${signal} again: killing every service`);
      for (const m of liveChildren()) m.child.kill('SIGKILL');
      lock.release();
      process.exit(1);
    }
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
  // A closed output (`npm start | head`) stops the stack as a signal does; the write errors after it are moot.
  process.stdout.on('error', () => firstSignalAt || onSignal('SIGPIPE'));

  try {
    await Promise.all(leftovers); // their ports and data folders must be free before anything starts
    const host = baseConfig.QUESTDB_HOST;
    // Every port the stack listens on is checked first: a service failing on a taken one says it less plainly.
    const listens: [keyof Config & `${string}_PORT`, string | false][] = [
      ['QUESTDB_HTTP_PORT', host],
      ['QUESTDB_PG_PORT', host],
      ['QUESTDB_ILP_TCP_PORT', host],
      ['QUESTDB_HEALTH_PORT', host],
      ['MOTO_PORT', baseConfig.STACK_EMULATOR && '127.0.0.1'],
      ['FAKE_API_PORT', args.demo && '127.0.0.1'],
      ['WEB_PORT', baseConfig.WEB_HOST],
    ];
    for (const [key, on] of listens) {
      const why = on && (await busy(on, baseConfig[key]));
      const where = `${on}:${baseConfig[key]} (${key}, set in the environment or .env)`;
      if (why) throw new Error(`${where} is ${why}`);
    }
    const jar = await installQuestdb(stackDir, say);
    const motoPython = baseConfig.STACK_EMULATOR ? await installMoto(stackDir, say) : null;

    say(`starting QuestDB (data in ${resolve(stackDir, 'questdb', 'root')}) ...`);
    const plain = plainOutput(process.stdout, process.env);
    const out = (line: string) => process.stdout.write((plain ? stripAnsi(line) : line) + '\n');
    running.push(
      await startQuestdb({
        jar,
        root: resolve(stackDir, 'questdb', 'root'),
        host,
        ports: {
          http: baseConfig.QUESTDB_HTTP_PORT,
          pg: baseConfig.QUESTDB_PG_PORT,
          ilpTcp: baseConfig.QUESTDB_ILP_TCP_PORT,
          health: baseConfig.QUESTDB_HEALTH_PORT,
        },
        // Errors and critical lines only, and the one "enjoy" line that says it is ready.
        out: (line) => {
          if (/ [EWC] |enjoy|Exception/.test(line)) out(line);
        },
      }),
    );
    lock.update(children());

    const dataDir = emulatorDataDir(baseConfig);
    const startEmulator = (python: string) =>
      startMoto({
        python,
        dataDir,
        host: '127.0.0.1',
        port: baseConfig.MOTO_PORT,
        out,
      });
    if (motoPython) {
      say(`starting the AWS emulator (moto server; S3 objects in ${dataDir}) ...`);
      running.push(await startEmulator(motoPython));
      lock.update(children());
    }
    const config: Config = args.demo ? loadConfigOrExit({ ...baseEnv, ...demoEnv(baseConfig) }) : baseConfig;
    // The children get this configuration whole, so they and the supervisor cannot disagree.
    const env: Record<string, string | undefined> = { ...process.env, ...configEnv(config) };

    const log = makeLogger('migrate', config.LOG_LEVEL, {
      write: (s) => out(`${'migrate'.padEnd(10)}| ${formatLogLine(s.trimEnd())}`),
    });
    const db = makeDb(config, 1);
    const applied = await runMigrations(db, log).finally(() => db.end());
    say(applied.length ? `applied ${applied.map((m) => m.file).join(', ')}` : 'schema up to date');
    await bootstrapArchive(config);
    say(
      `raw archive: s3://${config.RAW_BUCKET}/${config.RAW_PREFIX} via Firehose stream ${config.FIREHOSE_STREAM}`,
    );

    // Run as compiled JavaScript (dist/), the services are compiled too; from sources, tsx runs them.
    const entryOf = (s: ServiceSpec) =>
      resolve(ROOT, import.meta.url.endsWith('.js') ? s.entry.replace(/\.ts$/, '.js') : s.entry);
    const services = SERVICES.filter((s) => (args.demo || !s.demoOnly) && existsSync(entryOf(s)));
    for (const s of services) {
      let delay: number | null = null;
      const start = (): Managed => {
        const startedAt = Date.now();
        const m = spawnManaged(s.name, process.execPath, nodeArgs(entryOf(s)), { cwd: ROOT, env, out });
        void m.exited.then((code) => {
          if (stopping) return;
          delay = restartDelay(delay, Date.now() - startedAt);
          say(`${s.name} exited with status ${code}; restarting in ${delay / 1000} s`);
          setTimeout(() => {
            if (stopping) return;
            running[running.indexOf(m)] = start();
            lock.update(children());
          }, delay);
        });
        return m;
      };
      running.push(start());
    }
    lock.update(children());

    say('the stack is up:');
    say(`  QuestDB console   http://${host}:${config.QUESTDB_HTTP_PORT}`);
    if (services.some((s) => s.name === 'web'))
      say(`  dashboard         http://${config.WEB_HOST}:${config.WEB_PORT}`);
    say(`  PG wire           postgresql://${config.QUESTDB_USER}@${host}:${config.QUESTDB_PG_PORT}/qdb`);
    if (motoPython) say(`  AWS emulator      ${config.AWS_ENDPOINT_URL}`);
    say(`  services          ${services.map((s) => s.name).join(', ') || '(none yet)'}`);
    say('press Ctrl-C to stop');

    // QuestDB dying stops the rest; the emulator is started again (its S3 and its delivery stream are durable).
    const watch = (m: Managed) =>
      void m.exited.then(async (code) => {
        if (stopping) return;
        if (m.name !== 'moto' || !motoPython) {
          say(`${m.name} died (status ${code}); stopping everything`);
          return void stopAll(1);
        }
        say(`the AWS emulator died (status ${code}); starting it again`);
        try {
          const again = await startEmulator(motoPython);
          if (stopping) return void stopManaged(again);
          running[running.indexOf(m)] = again;
          lock.update(children());
          say('the AWS emulator is back');
          watch(again);
        } catch (err) {
          say(`the AWS emulator could not be started again (${(err as Error).message}); stopping everything`);
          void stopAll(1);
        }
      });
    for (const m of running.filter((r) => r.name === 'questdb' || r.name === 'moto')) watch(m);
  } catch (err) {
    say(`failed: ${(err as Error).message}`);
    await stopAll(1);
  }
}

if (isMain(import.meta.url)) void main();
