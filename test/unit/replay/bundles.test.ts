/**
 * The replay worker's bundle cache: other versions are pruned once unused for the keep time, nothing else. And the
 * options the worker starts with: the parent's, less a TypeScript loader.
 */
import { existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneBundles, workerExecArgv } from '../../../ingest/replay/producers.ts';

const H = 3_600_000;

describe('pruneBundles', () => {
  it('removes other bundles and crash leftovers unused for the keep time, keeping the current and the recent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
    const now = Date.now();
    const files: [string, number][] = [
      ['replay-worker-aaaaaaaaaaaaaaaa.mjs', now - 5 * H], // current: kept however old
      ['replay-worker-bbbbbbbbbbbbbbbb.mjs', now - 2 * H], // old version: removed
      ['replay-worker-cccccccccccccccc.mjs', now - H / 2], // used half an hour ago: kept
      ['replay-worker-dddddddddddddddd.mjs.4242.tmp', now - 2 * H], // a crash's leftover: removed
      ['replay-worker-eeeeeeeeeeeeeeee.mjs.4243.tmp', now - 60_000], // being written: kept
      ['notes.txt', now - 100 * H], // not ours: kept
    ];
    for (const [name, mtime] of files) {
      writeFileSync(join(dir, name), 'x');
      utimesSync(join(dir, name), new Date(mtime), new Date(mtime));
    }
    const removed = pruneBundles(dir, 'replay-worker-aaaaaaaaaaaaaaaa.mjs', now);
    expect(removed.sort()).toEqual([
      'replay-worker-bbbbbbbbbbbbbbbb.mjs',
      'replay-worker-dddddddddddddddd.mjs.4242.tmp',
    ]);
    expect(readdirSync(dir).sort()).toEqual(
      files
        .map(([n]) => n)
        .filter((n) => !removed.includes(n))
        .sort(),
    );
    expect(existsSync(join(dir, 'notes.txt'))).toBe(true);
  });
});

describe('workerExecArgv', () => {
  it('drops tsx however it is loaded, in either spelling of the flag', () => {
    expect(workerExecArgv(['--import', 'tsx'])).toEqual([]);
    expect(workerExecArgv(['--import=tsx/esm'])).toEqual([]);
    expect(workerExecArgv(['--require', 'tsx/cjs', '-r', 'tsx'])).toEqual([]);
    expect(workerExecArgv(['--loader', 'file:///app/node_modules/tsx/dist/loader.mjs'])).toEqual([]);
    expect(workerExecArgv(['--experimental-loader=C:\\app\\node_modules\\tsx\\dist\\loader.mjs'])).toEqual(
      [],
    );
  });

  it('keeps every other option, loaders of other names included, in order', () => {
    const others = [
      '--enable-source-maps',
      '--import',
      './telemetry.mjs',
      '--max-old-space-size=4096',
      '--require=tsx-like-but-not',
      '--conditions',
      'tsx',
    ];
    expect(workerExecArgv(['--import', 'tsx', ...others, '--import=tsx'])).toEqual(others);
  });
});
