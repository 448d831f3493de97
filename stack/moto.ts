/** The AWS emulator (moto server) in a virtualenv under the stack folder: install idempotently, start, wait. */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MOTO_VERSION } from './versions.ts';
import { isUp, run, spawnManaged, waitForHttp, type Managed } from './process.ts';

export function motoBin(stackDir: string): string {
  return resolve(stackDir, 'venv', 'bin', 'moto_server');
}

/** Create `<stackDir>/venv` with `moto[server]` pinned, unless it is already complete. */
export async function installMoto(stackDir: string, say: (s: string) => void): Promise<string> {
  const venv = resolve(stackDir, 'venv');
  const marker = join(venv, `.moto-${MOTO_VERSION}`);
  const bin = motoBin(stackDir);
  if (existsSync(marker) && existsSync(bin)) return bin;
  say(`installing moto[server] ${MOTO_VERSION} into ${venv} (PyPI) ...`);
  // A half-made venv from an interrupted install is rebuilt from scratch.
  rmSync(venv, { recursive: true, force: true });
  const python = process.env.PYTHON ?? 'python3';
  await run(python, ['-m', 'venv', venv]);
  await run(join(venv, 'bin', 'pip'), [
    'install',
    '-q',
    '--disable-pip-version-check',
    `moto[server]==${MOTO_VERSION}`,
  ]);
  await run('touch', [marker]);
  return bin;
}

/** Start moto server on host:port; resolves once it answers. */
export async function startMoto(opts: {
  bin: string;
  host: string;
  port: number;
  out?: (line: string) => void;
  name?: string;
}): Promise<Managed> {
  if (await isUp(`http://${opts.host}:${opts.port}/moto-api/data.json`))
    throw new Error(
      `an AWS emulator already answers on ${opts.host}:${opts.port}: stop it or choose another port`,
    );
  const m = spawnManaged(opts.name ?? 'moto', opts.bin, ['-H', opts.host, '-p', String(opts.port)], {
    out: opts.out ?? (() => {}),
    pretty: false,
  });
  await waitForHttp(`http://${opts.host}:${opts.port}/moto-api/data.json`, 30_000, m.exited);
  return m;
}
