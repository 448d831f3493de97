/** QuestDB over the PostgreSQL wire protocol, behind a small structural type so tests and callers stay decoupled. */
import pg from 'pg';
import type { Config } from '../common/config.ts';

/** QuestDB could not be reached: the one error callers branch on (errors QuestDB answered pass through as is). */
export class DbUnavailable extends Error {
  override name = 'DbUnavailable';
}

/** pg marks answers from the server with a `severity`; anything else means the server was not reached. */
export function asDbError(err: unknown, what = 'QuestDB'): unknown {
  if (err instanceof DbUnavailable || (typeof err === 'object' && err !== null && 'severity' in err))
    return err;
  return new DbUnavailable(`${what} is not reachable: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/** What the project needs from a database connection. */
export type Db = {
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  end(): Promise<void>;
};

// QuestDB returns TIMESTAMP WITHOUT TIME ZONE holding UTC: parse it as UTC, not local time.
const TIMESTAMP_OID = 1114;
const parseUtc = (s: string): Date => new Date(s.replace(' ', 'T') + 'Z');

/** A pooled connection to QuestDB's PG wire endpoint. */
export function makeDb(
  config: Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_PG_PORT' | 'QUESTDB_USER' | 'QUESTDB_PASSWORD'>,
  max = 4,
): Db {
  const pool = new pg.Pool({
    host: config.QUESTDB_HOST,
    port: config.QUESTDB_PG_PORT,
    user: config.QUESTDB_USER,
    password: config.QUESTDB_PASSWORD,
    database: 'qdb',
    max,
    connectionTimeoutMillis: 5_000,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === TIMESTAMP_OID
          ? parseUtc
          : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its socket (QuestDB restarted) must not crash the process.
  pool.on('error', () => {});
  return {
    async query<R extends object>(sql: string, params?: unknown[]) {
      try {
        return (await pool.query(sql, params)).rows as R[];
      } catch (err) {
        throw asDbError(err, `QuestDB (PG wire ${config.QUESTDB_HOST}:${config.QUESTDB_PG_PORT})`);
      }
    },
    end: () => pool.end(),
  };
}

/** Check that QuestDB answers before a tool starts work; DbUnavailable when it is not reached. */
export async function checkDb(db: Db): Promise<void> {
  await db.query('SELECT 1');
}
