/** PySpark (local mode) in a virtualenv under the stack folder, for the lake's batch layer (spark/). */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYSPARK_VERSION } from './versions.ts';
import { installVenv, type Say } from './process.ts';

const RUNNER = fileURLToPath(new URL('../spark/run_sql.py', import.meta.url));

/** `<stackDir>/spark-venv` with `pyspark` pinned (about 450 MB); returns its python. */
export function installSpark(stackDir: string, say: Say): Promise<string> {
  return installVenv(resolve(stackDir, 'spark-venv'), `pyspark==${PYSPARK_VERSION}`, say);
}

/** Run Spark SQL files in one session with `vars`: Spark's timing line, or an error with its output's end. */
export function runSparkSql(python: string, files: string[], vars: Record<string, string>): Promise<string> {
  const args = [RUNNER, ...files, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
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
            `spark (${files.join(', ')}) exited with ${code}: ${err.trim().split('\n').slice(-15).join('\n')}`,
          ),
        );
    });
  });
}
