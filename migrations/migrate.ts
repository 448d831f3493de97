/** `npm run migrate`: apply the numbered `.sql` files in order, recorded with checksums; edited ones fail. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMain, parseFlags, runCli, unreadable, usageExit } from '../common/cli.ts';
import { loadEnv, parseConfig } from '../common/config.ts';
import { makeCliLogger, type Log } from '../common/log.ts';
import { makeDb, type Db } from '../sql/db.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { parseMigrationFiles, planMigrations, splitStatements } from './plan.ts';
import type { AppliedMigration, MigrationFile } from './plan.ts';

const Q = loadQueries('./migrations.sql', new URL('../sql/', import.meta.url));

export const MIGRATIONS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** Read every migration file of `dir`. */
export function readMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  return parseMigrationFiles(
    readdirSync(dir)
      .filter((file) => file.endsWith('.sql'))
      .map((file) => ({ file, text: readFileSync(`${dir}/${file}`, 'utf8') })),
  );
}

/** Apply what is pending; returns the files applied. Throws (before touching anything) on an edited migration. */
export async function runMigrations(db: Db, log: Log, dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files = readMigrations(dir);
  await db.query(pick(Q, 'ensureMigrationsTable'));
  const applied = await db.query<AppliedMigration>(pick(Q, 'appliedMigrations'));
  const pending = planMigrations(files, applied);
  for (const m of pending) {
    const statements = splitStatements(m.text);
    log.info({ migration: m.file, statements: statements.length }, 'applying migration');
    for (const [i, sql] of statements.entries()) {
      try {
        await db.query(sql);
      } catch (err) {
        throw new Error(`${m.file}, statement ${i + 1}: ${(err as Error).message}`, { cause: err });
      }
    }
    await db.query(pick(Q, 'recordMigration'), [m.version, m.name, m.checksum]);
  }
  return pending;
}

const USAGE = `usage: npm run migrate [-- --dir DIR]

Applies the numbered .sql files of migrations/ (or DIR) that QuestDB has not recorded, in order. An applied file
that was edited since is refused before anything runs. Exit status: 0 ok, 1 failed (QuestDB not reached, an
edited or failing migration), 2 bad usage.`;

async function main(args: string[]): Promise<number> {
  const flags = parseFlags(args, { dir: { type: 'string' } });
  const cli = { name: 'migrate', help: 'npm run migrate -- --help', usage: USAGE };
  if ('errors' in flags || flags.help) return usageExit(cli, flags);
  const missing = flags.dir === undefined ? null : unreadable('dir', flags.dir, true);
  if (missing) return usageExit(cli, { errors: [missing] });
  const config = parseConfig(loadEnv());
  const log = makeCliLogger('migrate', config.LOG_LEVEL);
  const db = makeDb(config, 1);
  // `--dir DIR` applies the migrations of another folder (tests use it to prove an edited file is refused).
  const applied = await runMigrations(db, log, flags.dir).finally(() => db.end());
  if (applied.length === 0) log.info('nothing to apply: the schema is up to date');
  else log.info({ applied: applied.map((m) => m.file) }, `applied ${applied.length} migration(s)`);
  return 0;
}

if (isMain(import.meta.url)) runCli('migrate', () => main(process.argv.slice(2)));
