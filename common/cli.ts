/** What every CLI shares: a failure is one line on stderr naming what was not reached and where to point. */
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { S3Unavailable } from './aws.ts';
import { ConfigError, ENV_FILE, loadConfigOrExit, type Config } from './config.ts';
import { makeLogger, type Log } from './log.ts';
import { BEFORE_GENESIS, describeRefusal, GENESIS_MS, parseIsoTime } from './time.ts';
import { DbUnavailable } from '../sql/db.ts';

const HINT_DB = `is the stack running (npm start)? Point elsewhere with QUESTDB_HOST, QUESTDB_PG_PORT, QUESTDB_HTTP_PORT (environment or ${ENV_FILE})`;
const HINT_S3 = `is the stack running (npm start)? Point elsewhere with AWS_ENDPOINT_URL, MOTO_PORT or STACK_EMULATOR=false (environment or ${ENV_FILE})`;

/** The one line that reports `err`. Pure. */
export function failureLine(err: unknown): string {
  if (err instanceof DbUnavailable) return `${err.message}; ${HINT_DB}`;
  if (err instanceof S3Unavailable) return `${err.message}; ${HINT_S3}`;
  if (err instanceof ConfigError)
    return `invalid configuration (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}): ${err.problems.join('; ')}`;
  // A message of several lines (a list of problems) is kept whole, on one line.
  const text = err instanceof Error ? err.message : String(err);
  return text
    .split('\n')
    .flatMap((l) => l.trim() || [])
    .join(' ');
}

/** Run a CLI's main: its resolved status becomes the exit status; a throw becomes one line and status 1. */
export function runCli(name: string, main: () => Promise<number>): void {
  // A reader that went away (`| head`) ends the command quietly, as it ends any writer to a pipe; other errors say so.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE')
      process.stderr.write(`${name}: cannot write to standard output: ${err.message}\n`);
    process.exit(err.code === 'EPIPE' ? 0 : 1);
  });
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${failureLine(err)}\n`);
      process.exitCode = err instanceof ConfigError ? 2 : 1;
    },
  );
}

/** A whole-number flag from `min` to `max`: its value, and a refusal naming flag and value in `errors` if not. Pure. */
export function wholeNumber(
  errors: string[],
  flag: string,
  text: string | undefined,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
) {
  const n = Number(text);
  // Beyond 2^53 digits no longer name one number: the bound is named only when it is passed.
  const range = max === Number.MAX_SAFE_INTEGER && !(n > max) ? `≥ ${min}` : `from ${min} to ${max}`;
  if (!/^\s*\d+\s*$/.test(text ?? '') || n < min || n > max)
    errors.push(`--${flag} must be a whole number ${range}, got "${text}"`);
  return n;
}

/** Why `path`, given as `flag`, is no file to read (or no folder, with `folder`); null when it is. */
export function unreadable(flag: string, path: string, folder = false): string | null {
  try {
    if (statSync(path).isDirectory() === folder) return null;
    return `--${flag} ${path}: not a ${folder ? 'folder' : 'file'}`;
  } catch (err) {
    // Node's message without the call and path it repeats: "ENOENT: no such file or directory".
    return `--${flag} ${path}: ${(err as Error).message.replace(/, \w+ '.*'$/, '')}`;
  }
}

/** A usage problem as one line with the pointer to `--help`. Pure. */
export function usageLine(name: string, errors: string[], help: string): string {
  return `${name}: ${errors.join('; ')} (${help} for usage)`;
}

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;
type FlagValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP; strict: true; allowPositionals: false }>
>['values'];

/** `args` read strictly against `options` and `--help` (each flag once): the values, or the refusal. Pure. */
export function parseFlags<const O extends ParseArgsOptionsConfig>(
  args: string[],
  options: O,
): FlagValues<O> | { errors: string[] } {
  try {
    const strict = { strict: true, allowPositionals: false, tokens: true } as const;
    const { values, tokens } = parseArgs({ args, options: { ...options, ...HELP }, ...strict });
    const names = tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    return twice.length ? { errors: [`--${twice[0]} given more than once`] } : (values as FlagValues<O>);
  } catch (err) {
    // `--n -1` reads as a missing value: say so in one line, and how to give a value that starts with "-".
    const text = (err as Error).message;
    const [, flag] = /^Option '(--[^']+)' argument is ambiguous/.exec(text) ?? [];
    return { errors: [flag ? `${flag} needs a value (one starting with "-" is written ${flag}=-1)` : text] };
  }
}

/** How a CLI names itself in a refusal, where its help is, and what `--help` prints. */
export type Cli = { name: string; help: string; usage: string };

/** For a refused command line (one line on stderr, status 2) or `--help` (the usage on stdout, status 0). */
export function usageExit(cli: Cli, parsed: { errors: string[] } | { help?: boolean }): number {
  if ('errors' in parsed) {
    process.stderr.write(`${usageLine(cli.name, parsed.errors, cli.help)}\n`);
    return 2;
  }
  process.stdout.write(`${cli.usage}\n`);
  return 0;
}

/** Whether the module at `url` is the script node was started with, also when started through a symlink. */
export function isMain(url: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === fileURLToPath(url);
  } catch {
    return false;
  }
}

/** `--from` and `--to` as the whole minutes [from, to) they cover; each refusal recorded in `errors`. */
export function minuteRange(
  v: { from?: string; to?: string },
  errors: string[],
): { from: number; to: number } {
  const time = (name: 'from' | 'to') => {
    const t = v[name] === undefined ? null : parseIsoTime(v[name]);
    if (t?.ok) return t.ms;
    errors.push(t ? describeRefusal(`--${name}`, v[name]!, t.reason) : `--${name} is required`);
    return NaN;
  };
  const [from, to] = [Math.floor(time('from') / 60_000) * 60_000, Math.ceil(time('to') / 60_000) * 60_000];
  if (from < GENESIS_MS) errors.push(describeRefusal('--from', v.from!, BEFORE_GENESIS));
  else if (from >= to) errors.push('--from must be before --to');
  return { from, to };
}

/** A service's main: started with the config, stopped on SIGINT/SIGTERM (forced after `graceMs` if given). */
export function runService(
  name: string,
  start: (config: Config, log: Log) => Promise<() => Promise<void>>,
  graceMs?: number,
): void {
  const config = loadConfigOrExit();
  const log = makeLogger(name, config.LOG_LEVEL);
  start(config, log).then(
    (stop) => {
      const shutdown = () => {
        log.info('stopping');
        if (graceMs !== undefined) setTimeout(() => process.exit(0), graceMs).unref();
        stop().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, `${name} shutdown failed`);
            process.exit(1);
          },
        );
      };
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, shutdown);
    },
    (err: unknown) => {
      log.fatal({ err }, `${name} failed to start`);
      process.exit(1);
    },
  );
}
