/**
 * PySpark (Spark in local mode, on the Java QuestDB already needs) in a virtualenv under the stack folder, for
 * the curated lake's batch layer (spark/): install idempotently, then run a Spark SQL file with it.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYSPARK_VERSION } from './versions.ts';
import { run } from './process.ts';

const RUNNER = fileURLToPath(new URL('../spark/run_sql.py', import.meta.url));

/** Create `<stackDir>/spark-venv` with `pyspark` pinned, unless it is already complete; resolves to its python. */
export async function installSpark(stackDir: string, say: (s: string) => void): Promise<string> {
  const venv = resolve(stackDir, 'spark-venv');
  const marker = join(venv, `.pyspark-${PYSPARK_VERSION}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(marker) && existsSync(python)) return python;
  say(`installing pyspark ${PYSPARK_VERSION} into ${venv} (PyPI, about 450 MB) ...`);
  // A half-made venv from an interrupted install is rebuilt from scratch.
  rmSync(venv, { recursive: true, force: true });
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  await run(join(venv, 'bin', 'pip'), [
    'install',
    '-q',
    '--disable-pip-version-check',
    `pyspark==${PYSPARK_VERSION}`,
  ]);
  await run('touch', [marker]);
  return python;
}

/**
 * Run Spark SQL files in one local-mode session with `vars` as their `${name}` variables. Resolves to Spark's
 * own timing line; fails with the end of Spark's output when it exits non-zero.
 */
export function runSparkSql(
  python: string,
  sqlFiles: string[],
  vars: Record<string, string>,
): Promise<string> {
  const args = [RUNNER, ...sqlFiles, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  return new Promise((resolveRun, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveRun(out.trim());
      else
        reject(
          new Error(
            `spark (${sqlFiles.join(', ')}) exited with ${code}: ${err.trim().split('\n').slice(-15).join('\n')}`,
          ),
        );
    });
  });
}
