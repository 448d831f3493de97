/**
 * What every command-line tool shares: a failure is one line on stderr that names what could not be reached and
 * how to point the tool elsewhere, never a stack trace.
 */
import { S3Unavailable } from './aws.ts';
import { ConfigError, ENV_FILE } from './config.ts';
import { DbUnavailable } from '../sql/db.ts';

const HINT_DB = `is the stack running (npm start)? Point elsewhere with QUESTDB_HOST, QUESTDB_PG_PORT, QUESTDB_HTTP_PORT (environment or ${ENV_FILE})`;
const HINT_S3 = `is the stack running (npm start)? Point elsewhere with AWS_ENDPOINT_URL, MOTO_PORT or STACK_EMULATOR=false (environment or ${ENV_FILE})`;

/** The one line that reports `err`. Pure. */
export function failureLine(err: unknown): string {
  if (err instanceof DbUnavailable) return `${err.message}; ${HINT_DB}`;
  if (err instanceof S3Unavailable) return `${err.message}; ${HINT_S3}`;
  if (err instanceof ConfigError) return err.problems.join('; ');
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** Run a CLI's main: its resolved status becomes the exit status; a throw becomes one line and status 1. */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${failureLine(err)}\n`);
      process.exitCode = err instanceof ConfigError ? 2 : 1;
    },
  );
}

/** A usage problem as one line with the pointer to `--help`. Pure. */
export function usageLine(name: string, errors: string[], help: string): string {
  return `${name}: ${errors.join('; ')} (${help} for usage)`;
}
