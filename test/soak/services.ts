/** The soak's service processes: the project's own entry points, run as children on the shared scaled clock. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

export type Service = {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

/** Start `entry` with `env`; its output goes to `log` (one prefixed line each), errors are kept for the report. */
export function startService(
  name: string,
  entry: string,
  env: Record<string, string | undefined>,
  log: (line: string) => void,
): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const s of [child.stdout, child.stderr])
    createInterface({ input: s! }).on('line', (l) => log(`${name} | ${l}`));
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))),
  );
  return {
    name,
    child,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The entry points the soak runs, when they exist in this checkout. */
export const SOAK_SERVICES = [
  { name: 'forecaster', entry: 'forecast/main.ts' },
  { name: 'jobs', entry: 'jobs/main.ts' },
  { name: 'web', entry: 'web/main.ts' },
].filter((s) => existsSync(s.entry));
