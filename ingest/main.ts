/** The poller service: wires HTTP, the archive (Firehose), QuestDB and the spool; stops in reverse order on a signal. */
import { isMain, runService } from '../common/cli.ts';
import type { Config } from '../common/config.ts';
import { makeFirehose } from '../common/firehose.ts';
import { clockFromConfig, floorToMinute } from '../common/clock.ts';
import type { Log } from '../common/log.ts';
import type { Clock } from '../common/types.ts';
import { makeDb } from '../sql/db.ts';
import { makeIlp } from '../sql/ilp.ts';
import { makeFirehoseArchive } from './archive/firehose.ts';
import type { RawEnvelope } from './archive/envelope.ts';
import { warmUp } from './candle-backfill.ts';
import { makeDelivery } from './delivery.ts';
import { makeHttp } from './http.ts';
import type { Previous } from './normalize.ts';
import { makePoller, type PolledSource } from './poller.ts';
import { previousMaps } from './replay/minutes.ts';
import { readFirstSeen, readPrevious } from './replay/tables.ts';
import { adapterFor } from './sources/index.ts';
import { makeSpool, spoolDir } from './spool.ts';
import { makeQuestdbStore, makeStoreDelivery } from './store.ts';

/** Build a running poller from configuration; returns its stop function. */
export async function startPoller(
  config: Config,
  log: Log,
  clock: Clock = clockFromConfig(config),
): Promise<() => Promise<void>> {
  const db = makeDb(config, 1);
  let knownCurrencies = new Set<string>();
  let previous = new Map<string, Map<string, Previous>>();
  try {
    knownCurrencies = new Set((await readFirstSeen(db)).keys());
    // The jump check's memory: each series' last accepted rate in the hour up to the minute under way.
    const last = await readPrevious(db, floorToMinute(clock.now()) + 60_000, new Set(config.SOURCES));
    previous = previousMaps(last);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'QuestDB not reachable at start: starting without history');
  } finally {
    await db.end();
  }

  const spool = makeSpool({ dir: spoolDir(config), maxBytes: config.SPOOL_MAX_BYTES });
  const firehose = makeFirehose(config);
  const ilp = await makeIlp(config, { retryTimeoutMs: 5_000, requestTimeoutMs: 10_000 });
  const store = makeQuestdbStore(ilp);
  const toFirehose = makeFirehoseArchive({ firehose, stream: config.FIREHOSE_STREAM, clock });
  const lost = { archive: 0, store: 0 };
  const archiveDelivery = makeDelivery<RawEnvelope[]>({
    channel: 'archive',
    spool,
    send: (b) => toFirehose.put(b),
    log,
    onLost: (b) => (lost.archive += b.length),
  });
  const storeDelivery = makeStoreDelivery({ spool, store, log, onLost: () => (lost.store += 1) });
  const http = makeHttp({
    clock,
    connectTimeoutMs: config.HTTP_CONNECT_TIMEOUT_MS,
    bodyTimeoutMs: config.HTTP_TIMEOUT_MS,
    maxBytes: config.HTTP_MAX_BYTES,
    maxAttempts: config.HTTP_MAX_ATTEMPTS,
    baseDelayMs: config.HTTP_RETRY_BASE_MS,
  });
  const sources: PolledSource[] = config.SOURCES.map((name) => {
    const adapter = adapterFor(name);
    return { name, adapter, ...adapter.request(config) };
  });
  // The sources' rows carry the URLs actually polled (re-written at every start: DEDUP keeps one row each).
  await storeDelivery.deliver({
    sources: sources.map(({ name, url }) => ({
      id: name,
      kind: name,
      urlTemplate: url,
      description: `${name} (polled)`,
    })),
  });

  const poller = makePoller({
    sources,
    http,
    archive: archiveDelivery,
    store: storeDelivery,
    clock,
    log,
    pollerId: config.POLLER_ID,
    intervalMs: config.POLL_INTERVAL_SECONDS * 1000,
    knownCurrencies,
    previous,
    afterRound: async (minute) => {
      const st = spool.stats();
      if (st.full)
        log.error({ bytes: st.bytes, maxBytes: st.maxBytes }, 'SPOOL NEAR ITS BOUND: targets unreachable?');
      // Straight to QuestDB, not through the spool: a stale depth is worth nothing later.
      const row = { ts: minute, poller: config.POLLER_ID, maxBytes: st.maxBytes, full: st.full };
      await store.write({ spool: st.channels.map((c) => ({ ...row, ...c, lost: lost[c.channel] })) });
    },
  });
  const abort = new AbortController();
  const running = poller.run(abort.signal);
  const warmDb = makeDb(config, 1);
  // Warm-up pages are archived through the spool as polls are: Firehose away at start delays them, drops none.
  const archive = { put: async (b: RawEnvelope[]) => void (await archiveDelivery.deliver(b)) };
  const warming = warmUp({ http, archive, store, db: warmDb, config, clock, log, signal: abort.signal })
    .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'warm-up: candles failed'))
    .finally(() => warmDb.end());
  log.info(
    { sources: config.SOURCES, interval: config.POLL_INTERVAL_SECONDS, spool: spoolDir(config) },
    'poller started',
  );

  return async () => {
    abort.abort();
    await running;
    await warming;
    await http.close();
    await ilp.close().catch(() => {});
    firehose.destroy();
    spool.close();
  };
}

if (isMain(import.meta.url)) runService('poller', startPoller);
