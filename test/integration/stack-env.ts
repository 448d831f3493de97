/**
 * The integration tests' own stack: QuestDB and the AWS emulator on ports and a data folder of their own, so a
 * running `npm start` (default ports, `.stack/questdb/root`) is never touched.
 */
import { parseConfig, type Config } from '../../common/config.ts';

/**
 * TEST_PORT_OFFSET (default 0) shifts every test port, so two test runs on one machine (two worktrees, two
 * developers) each get their own QuestDB and emulator instead of stopping each other's.
 */
export const TEST_PORT_OFFSET = Number(process.env.TEST_PORT_OFFSET ?? 0);
const p = (base: number) => String(base + TEST_PORT_OFFSET);

export const TEST_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  QUESTDB_HOST: '127.0.0.1',
  QUESTDB_HTTP_PORT: p(19000),
  QUESTDB_PG_PORT: p(18812),
  QUESTDB_ILP_TCP_PORT: p(19009),
  QUESTDB_HEALTH_PORT: p(19003),
  MOTO_PORT: p(14566),
  AWS_ENDPOINT_URL: `http://127.0.0.1:${p(14566)}`,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  RAW_BUCKET: 'btc-rates-test',
  FIREHOSE_STREAM: 'btc-rates-test',
  FAKE_API_PORT: p(18099),
  WEB_PORT: p(18080),
};

/** Parsed test configuration, with per-test overrides. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return parseConfig({ ...TEST_ENV, ...overrides });
}

/** Run SQL through QuestDB's REST endpoint (DDL included); returns the JSON answer. */
export async function exec(
  config: Config,
  sql: string,
): Promise<{ dataset?: unknown[][]; count?: number; error?: string }> {
  const url = `http://${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}/exec?query=${encodeURIComponent(sql)}`;
  const res = await fetch(url);
  return (await res.json()) as { dataset?: unknown[][]; count?: number; error?: string };
}

/** Wait until `probe` returns true (WAL writes become visible asynchronously); fail after `timeoutMs`. */
export async function waitFor(
  probe: () => Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Wait until QuestDB has applied every committed WAL transaction of `table` (its rows are then all visible). */
export async function waitForWalApplied(config: Config, table: string, timeoutMs = 20_000): Promise<void> {
  const sql = `SELECT writerTxn, sequencerTxn FROM wal_tables() WHERE name = '${table}'`;
  await waitFor(
    async () => {
      const row = (await exec(config, sql)).dataset?.[0];
      return row !== undefined && Number(row[0]) === Number(row[1]);
    },
    timeoutMs,
    `WAL of ${table} applied`,
  );
}
