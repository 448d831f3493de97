/**
 * The replay worker's bundle cache: other versions are pruned once unused for the keep time, nothing else. And the
 * options the worker starts with: the parent's, less a TypeScript loader.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneBundles, workerExecArgv } from '../../../ingest/replay/producers.ts';

const H = 3_600_000;

describe('pruneBundles', () => {
  it('removes other bundles and crash leftovers unused for the keep time, keeping the current and the recent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
    const now = Date.now();
    // Bundles are folders (a worker.mjs and its chunks); single files are the earlier layout, pruned alike.
    const entries: [string, number, 'dir' | 'file'][] = [
      ['replay-worker-aaaaaaaaaaaaaaaa', now - 5 * H, 'dir'], // current: kept however old
      ['replay-worker-bbbbbbbbbbbbbbbb', now - 2 * H, 'dir'], // old version: removed with its files
      ['replay-worker-cccccccccccccccc', now - H / 2, 'dir'], // used half an hour ago: kept
      ['replay-worker-dddddddddddddddd.4242.tmp', now - 2 * H, 'dir'], // a crash's leftover: removed
      ['replay-worker-eeeeeeeeeeeeeeee.4243.tmp', now - 60_000, 'dir'], // being written: kept
      ['replay-worker-ffffffffffffffff.mjs', now - 2 * H, 'file'], // the earlier layout: removed
      ['replay-worker-1111111111111111.mjs.4244.tmp', now - 2 * H, 'file'], // its crash leftover: removed
      ['notes.txt', now - 100 * H, 'file'], // not ours: kept
    ];
    for (const [name, mtime, kind] of entries) {
      const path = join(dir, name);
      if (kind === 'dir') {
        mkdirSync(path);
        writeFileSync(join(path, 'worker.mjs'), 'x');
        writeFileSync(join(path, 'chunk-ABC.mjs'), 'x');
      } else writeFileSync(path, 'x');
      utimesSync(path, new Date(mtime), new Date(mtime));
    }
    const removed = pruneBundles(dir, 'replay-worker-aaaaaaaaaaaaaaaa', now);
    expect(removed.sort()).toEqual([
      'replay-worker-1111111111111111.mjs.4244.tmp',
      'replay-worker-bbbbbbbbbbbbbbbb',
      'replay-worker-dddddddddddddddd.4242.tmp',
      'replay-worker-ffffffffffffffff.mjs',
    ]);
    expect(readdirSync(dir).sort()).toEqual(
      entries
        .map(([n]) => n)
        .filter((n) => !removed.includes(n))
        .sort(),
    );
    expect(readdirSync(join(dir, 'replay-worker-aaaaaaaaaaaaaaaa')).sort()).toEqual([
      'chunk-ABC.mjs',
      'worker.mjs',
    ]);
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
