/**
 * Pieces of the replay and gap-repair tests: an archive laid out as Firehose would have written it on the
 * simulated clock, table snapshots, and a poller whose QuestDB writes can be held back for chosen minutes.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { configEnv, type Config } from '../../common/config.ts';
import type { Clock, SourceName } from '../../common/types.ts';
import { parseArchiveLine } from '../../ingest/archive/envelope.ts';
import { hourPrefix } from '../../ingest/archive/keys.ts';
import type { Batch } from '../../ingest/store.ts';
import type { Db } from '../../sql/db.ts';
import { makeTestPoller } from './ingest-support.ts';
import { exec, waitFor } from './stack-env.ts';

const pad = (n: number) => String(n).padStart(2, '0');
const HOUR_MS = 3_600_000;

/** Every hour (start, epoch ms) that overlaps [from, to), oldest first. */
function hoursCovering(from: number, to: number): number[] {
  const out: number[] = [];
  for (let h = Math.floor(from / HOUR_MS) * HOUR_MS; h < to; h += HOUR_MS) out.push(h);
  return out;
}
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
};

/** Every object under `prefix` (by default the whole raw prefix): key and body. */
export async function archiveObjects(
  s3: S3Client,
  config: Config,
  prefix = config.RAW_PREFIX,
): Promise<{ key: string; body: string }[]> {
  const out: { key: string; body: string }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.RAW_BUCKET,
        Prefix: prefix,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) {
      const res = await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key }));
      out.push({ key: o.Key!, body: await res.Body!.transformToString() });
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

/** Environment for a child process talking to the stack of `config` (a private one included). */
export function envOf(config: Config): Record<string, string> {
  return configEnv(config);
}

/** The key Firehose gives an object arriving at `arrival`. */
export function firehoseKey(config: Config, arrival: number, tag: string): string {
  return `${hourPrefix(config.RAW_PREFIX, arrival)}${config.FIREHOSE_STREAM}-1-${stamp(arrival)}-${tag}`;
}

/**
 * The emulator names objects by the wall clock while the poller runs on a simulated one: move each object whose
 * minutes lie in [from, to) to the key it would have had arriving a second after its last fetch on the
 * simulated clock. Other objects are left where they are.
 */
export async function rekeyToSimulatedArrival(
  s3: S3Client,
  config: Config,
  range: { from: number; to: number },
  /** Wall-clock time since when the objects were delivered (only those hour folders are looked at). */
  since: number,
): Promise<number> {
  const { from, to } = range;
  const moves: { from: string; to: string }[] = [];
  const objects: { key: string; body: string }[] = [];
  for (const hour of hoursCovering(since - 60_000, Date.now() + 60_000))
    objects.push(...(await archiveObjects(s3, config, hourPrefix(config.RAW_PREFIX, hour))));
  for (const o of objects) {
    const envelopes = o.body
      .split('\n')
      .filter(Boolean)
      .map((l) => parseArchiveLine(l))
      .flatMap((p) => (p.ok ? [p.envelope] : []));
    if (
      envelopes.length === 0 ||
      envelopes.some((e) => Date.parse(e.minute) < from || Date.parse(e.minute) >= to)
    )
      continue;
    const arrival = Math.max(...envelopes.map((e) => Date.parse(e.fetchedAt))) + 1_000;
    const key = firehoseKey(config, arrival, o.key.slice(-36));
    if (key !== o.key) moves.push({ from: o.key, to: key });
  }
  const bucket = config.RAW_BUCKET;
  const moved = moves.length;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let m = moves.shift(); m; m = moves.shift()) {
        await s3.send(
          new CopyObjectCommand({ Bucket: bucket, Key: m.to, CopySource: `${bucket}/${m.from}` }),
        );
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: m.from }));
      }
    }),
  );
  return moved;
}

export type Snapshot = { rates: unknown[][]; polls: unknown[][]; currencies: unknown[][] };

const rowsOf = async (db: Db, sql: string, params: unknown[]) =>
  (await db.query<Record<string, unknown>>(sql, params))
    .map((r) => Object.values(r).map((v) => (v instanceof Date ? v.toISOString() : v)))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** Every column of every rates and polls row in [from, to), and all of `currencies`, sorted. */
export async function snapshot(db: Db, from: number, to: number): Promise<Snapshot> {
  const span = [new Date(from).toISOString(), new Date(to).toISOString()];
  return {
    rates: await rowsOf(db, 'SELECT * FROM rates WHERE ts >= $1 AND ts < $2', span),
    polls: await rowsOf(db, 'SELECT * FROM polls WHERE ts >= $1 AND ts < $2', span),
    currencies: await rowsOf(db, 'SELECT * FROM currencies', []),
  };
}

export async function countRows(db: Db, table: 'rates' | 'polls', from: number, to: number): Promise<number> {
  const [r] = await db.query<{ n: string }>(`SELECT count() n FROM ${table} WHERE ts >= $1 AND ts < $2`, [
    new Date(from).toISOString(),
    new Date(to).toISOString(),
  ]);
  return Number(r?.n ?? 0);
}

/** Wait until the snapshot of [from, to) has `rates` and `polls` rows as many as `expected`. */
export async function waitForCounts(db: Db, from: number, to: number, expected: Snapshot): Promise<void> {
  await waitFor(
    async () =>
      (await countRows(db, 'rates', from, to)) === expected.rates.length &&
      (await countRows(db, 'polls', from, to)) === expected.polls.length,
    30_000,
    `${expected.rates.length} rates and ${expected.polls.length} polls rows`,
  );
}

/** QuestDB has no DELETE: drop the day partitions of rates and polls holding [from, to), and wait for it. */
export async function dropDays(config: Config, db: Db, from: number, to: number): Promise<void> {
  const days = new Set<string>();
  for (let t = from; t < to; t += 60_000) days.add(new Date(t).toISOString().slice(0, 10));
  for (const table of ['rates', 'polls']) {
    // Only partitions that exist: a list naming a missing day is refused as a whole when the WAL applies it.
    const parts = await exec(config, `SELECT name FROM table_partitions('${table}')`);
    const list = (parts.dataset ?? []).map(([d]) => String(d)).filter((d) => days.has(d));
    if (list.length === 0) continue;
    const r = await exec(
      config,
      `ALTER TABLE ${table} DROP PARTITION LIST ${list.map((d) => `'${d}'`).join(', ')}`,
    );
    if (r.error) throw new Error(`drop partitions of ${table}: ${r.error}`);
  }
  await waitFor(
    async () => (await countRows(db, 'rates', from, to)) + (await countRows(db, 'polls', from, to)) === 0,
    30_000,
    'dropped partitions',
  );
}

/**
 * A poller on the real stack, like makeTestPoller, whose QuestDB writes are dropped (not spooled: lost) for the
 * minutes `hold` says — the raw archive still gets every response, as in production when a store write is lost.
 */
export async function makeGappyPoller(opts: {
  config: Config;
  base: string;
  clock: Clock;
  hold: (minute: number, source: string) => boolean;
  sources?: SourceName[];
}) {
  const held: Batch[] = [];
  const t = await makeTestPoller({
    ...opts,
    pollerId: 'gappy',
    store: (write) => ({
      deliver: async (b) => {
        const p = b.polls?.[0];
        if (p && opts.hold(p.ts, p.source)) held.push(b);
        else await write(b);
        return 'sent';
      },
      drain: async () => 0,
    }),
  });
  return { poller: t.poller, held, close: t.close };
}
