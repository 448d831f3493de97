/** Spool housekeeping: deliver the spools of pollers gone for good (the spool lock refuses a live owner). */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import type { Ilp } from '../sql/ilp.ts';
import type { RawEnvelope } from '../ingest/archive/envelope.ts';
import { makeFirehoseArchive } from '../ingest/archive/firehose.ts';
import { makeDelivery } from '../ingest/delivery.ts';
import { makeSpool, spoolBase } from '../ingest/spool.ts';
import { makeQuestdbStore, makeStoreDelivery } from '../ingest/store.ts';
import type { Job } from './runner.ts';

type Deps = {
  config: Pick<Config, 'SPOOL_DIR' | 'STACK_DIR' | 'SPOOL_MAX_BYTES' | 'FIREHOSE_STREAM'>;
  ilp: Ilp;
  firehose: FirehoseClient;
  log: Log;
};

/** Drain every orphaned spool under the spool base; returns the batches delivered. */
export async function drainOrphanedSpools(deps: Deps) {
  const base = spoolBase(deps.config);
  const result = { delivered: 0, orphans: [] as string[], busy: [] as string[] };
  if (!existsSync(base)) return result;
  const archive = makeFirehoseArchive({ firehose: deps.firehose, stream: deps.config.FIREHOSE_STREAM });
  const store = makeQuestdbStore(deps.ilp);
  for (const name of readdirSync(base)) {
    const dir = join(base, name);
    if (!statSync(dir).isDirectory()) continue;
    let spool;
    try {
      spool = makeSpool({ dir, maxBytes: deps.config.SPOOL_MAX_BYTES });
    } catch {
      result.busy.push(name); // its poller is alive and drains it itself
      continue;
    }
    try {
      if (spool.list('archive').length + spool.list('store').length === 0) continue;
      result.orphans.push(name);
      const log = deps.log.child({ spool: name });
      const a = makeDelivery<RawEnvelope[]>({ channel: 'archive', spool, send: (b) => archive.put(b), log });
      const s = makeStoreDelivery({ spool, store, log });
      result.delivered += (await a.drain()) + (await s.drain());
      const left = spool.list('archive').length + spool.list('store').length;
      if (left > 0) log.warn({ left }, 'orphaned spool not fully delivered: targets unreachable?');
    } finally {
      spool.close();
    }
  }
  return result;
}

/** The registered job: every 10 minutes, only the newest window matters. */
export function makeSpoolHousekeepingJob(deps: Deps): Job {
  return {
    name: 'spool-housekeeping',
    policy: { windowMs: 10 * 60_000, delayMs: 0, catchUp: 'latest', maxLookbackMs: 10 * 60_000, maxBatch: 1 },
    run: async ({ log }) => {
      const r = await drainOrphanedSpools({ ...deps, log });
      if (r.orphans.length) log.info(r, 'orphaned spools drained');
      return { rows: r.delivered };
    },
  };
}
