/**
 * `npm run migrate`: apply the numbered `.sql` files in this folder, in order, each recorded with its checksum.
 * A re-run applies nothing; an applied migration that was edited is refused with a non-zero exit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfigOrExit } from '../common/config.ts';
import { makeLogger, type Log } from '../common/log.ts';
import { makeDb, type Db } from '../sql/db.ts';
import { loadQueries, pick } from '../sql/loader.ts';
import { parseMigrationFiles, planMigrations, splitStatements, type MigrationFile } from './plan.ts';

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
export async function runMigrations(
  db: Db,
  log: Log,
  dir: string = MIGRATIONS_DIR,
): Promise<MigrationFile[]> {
  const files = readMigrations(dir);
  await db.query(pick(Q, 'ensureMigrationsTable'));
  const applied = await db.query<{ version: number; name: string; checksum: string }>(
    pick(Q, 'appliedMigrations'),
  );
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const config = loadConfigOrExit();
  const log = makeLogger('migrate', config.LOG_LEVEL);
  // `--dir DIR` applies the migrations of another folder (tests use it to prove an edited file is refused).
  const dirFlag = process.argv.indexOf('--dir');
  const dir = dirFlag >= 0 ? process.argv[dirFlag + 1] : undefined;
  const db = makeDb(config, 1);
  runMigrations(db, log, dir)
    .then((applied) => {
      if (applied.length === 0) log.info('nothing to apply: the schema is up to date');
      else log.info({ applied: applied.map((m) => m.file) }, `applied ${applied.length} migration(s)`);
    })
    .catch((err: unknown) => {
      log.error((err as Error).message);
      process.exitCode = 1;
    })
    .finally(() => db.end());
}
