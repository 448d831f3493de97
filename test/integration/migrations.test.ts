import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDb } from '../../sql/db.ts';
import { MIGRATIONS_DIR } from '../../migrations/migrate.ts';
import { TEST_ENV, testConfig, waitFor } from './stack-env.ts';

const config = testConfig();
const db = makeDb(config, 1);
afterAll(() => db.end());

function migrateCli(args: string[] = []) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'migrations/migrate.ts', ...args], {
    env: { ...process.env, ...TEST_ENV, LOG_LEVEL: 'info' },
    encoding: 'utf8',
  });
}

describe('migrations on the real QuestDB', () => {
  it('created the four 3NF tables as WAL tables with their DEDUP keys', async () => {
    const tables = await db.query<{
      table_name: string;
      walEnabled: boolean;
      designatedTimestamp: string;
      partitionBy: string;
    }>(`SELECT table_name, walEnabled, designatedTimestamp, partitionBy FROM tables() ORDER BY table_name`);
    const byName = new Map(tables.map((t) => [t.table_name, t]));
    for (const name of ['currencies', 'sources', 'polls', 'rates']) {
      expect(byName.get(name), name).toMatchObject({ walEnabled: true, designatedTimestamp: 'ts' });
    }
    expect(byName.get('rates')?.partitionBy).toBe('DAY');
    const dedup = await db.query<{ column: string; upsertKey: boolean }>(
      `SELECT "column", upsertKey FROM table_columns('rates') WHERE upsertKey`,
    );
    expect(dedup.map((c) => c.column).sort()).toEqual(['currency', 'source', 'ts']);
  });

  it('seeds the known sources exactly once, even though the seed is re-runnable', async () => {
    // Other tests add sources of their own (imports, replays): look at the four seeded ids only.
    const known = `SELECT id FROM sources WHERE id IN ('blockchain', 'coinbase', 'coindesk', 'coingecko') ORDER BY id`;
    await waitFor(async () => (await db.query(known)).length === 4, 20_000, 'seeded sources');
    const rows = await db.query<{ id: string }>(known);
    expect(rows.map((r) => r.id)).toEqual(['blockchain', 'coinbase', 'coindesk', 'coingecko']);
  });

  it('a second run applies nothing', () => {
    const r = migrateCli();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to apply');
  });

  it('refuses an applied migration that was edited, with a non-zero exit and the file named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    const file = join(dir, '0001_initial.sql');
    writeFileSync(file, readFileSync(file, 'utf8') + '\n-- an innocent-looking edit\n');
    const r = migrateCli(['--dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/0001_initial\.sql was edited after it was applied/);
  });

  it('DEDUP UPSERT KEYS collapse a repeated rate row into one', async () => {
    const source = `dedup-${Date.now()}`;
    for (let i = 0; i < 2; i++) {
      await db.query(
        `INSERT INTO rates (ts, source, currency, rate) VALUES ('2020-01-01T00:00:00.000000Z', $1, 'USD', $2)`,
        [source, 100 + i],
      );
    }
    await waitFor(
      async () =>
        (await db.query(`SELECT rate FROM rates WHERE source = $1 AND rate = 101`, [source])).length === 1,
      20_000,
      'second write applied',
    );
    const rows = await db.query<{ rate: number }>(`SELECT rate FROM rates WHERE source = $1`, [source]);
    expect(rows).toEqual([{ rate: 101 }]);
  });
});
