/** The AWS emulator (moto server, run by stack/moto_archive.py so its S3 is durable) in a virtualenv. */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectPath, type Config } from '../common/config.ts';
import { MOTO_VERSION } from './versions.ts';
import { installVenv, type Say, isUp, spawnManaged, waitForHttp, type Managed } from './process.ts';

export const MOTO_LAUNCHER = fileURLToPath(new URL('./moto_archive.py', import.meta.url));

/** The virtualenv's python, which runs the launcher. */
export function motoPython(stackDir: string): string {
  return resolve(stackDir, 'venv', 'bin', 'python');
}

/** The folder of the emulator's S3 objects: EMULATOR_DATA_DIR, or STACK_DIR/s3. */
export function emulatorDataDir(config: Pick<Config, 'EMULATOR_DATA_DIR' | 'STACK_DIR'>): string {
  return projectPath(config.EMULATOR_DATA_DIR || join(config.STACK_DIR, 's3'));
}

/** `<stackDir>/venv` with `moto[server]` pinned; returns its python. */
export function installMoto(stackDir: string, say: Say): Promise<string> {
  return installVenv(resolve(stackDir, 'venv'), `moto[server]==${MOTO_VERSION}`, say);
}

/** Start the emulator on host:port with its S3 objects in `dataDir`; resolves once it answers. */
export async function startMoto(opts: {
  python: string;
  host: string;
  port: number;
  dataDir: string;
  out?: (line: string) => void;
  name?: string;
}): Promise<Managed> {
  const { host, port } = opts;
  const url = `http://${host}:${port}/moto-api/data.json`;
  if (await isUp(url))
    throw new Error(`an AWS emulator already answers on ${host}:${port}: stop it or choose another port`);
  const args = [MOTO_LAUNCHER, '--host', host, '--port', String(port), '--data-dir', opts.dataDir];
  const m = spawnManaged(opts.name ?? 'moto', opts.python, args, {
    out: opts.out ?? (() => {}),
    pretty: false,
  });
  // It answers once the folder is loaded: about 5 000 objects a second, so a long-kept archive takes minutes.
  await waitForHttp(url, 15 * 60_000, m.exited);
  return m;
}
