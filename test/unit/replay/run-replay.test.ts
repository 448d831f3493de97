/**
 * The replay loop end to end on an in-memory archive, with a store that records its batches and a database that
 * holds nothing (the real QuestDB is the integration test's): batches of whole minutes in order, the same rows
 * however the objects are laid out, batched and fetched, a corrupt object reported and skipped, progress saved
 * only after a batch was written, a failed write stopping the run, and an abort ending it early.
 */
import { describe, expect, it } from 'vitest';
import type { Rate } from '../../../common/types.ts';
import { serializeEnvelope, type RawEnvelope } from '../../../ingest/archive/envelope.ts';
import type { ArchiveObject } from '../../../ingest/replay/reader.ts';
import { runReplay, type ReplayOptions } from '../../../ingest/replay/replay.ts';
import type { Batch } from '../../../ingest/store.ts';
import type { Db } from '../../../sql/db.ts';
import {
  renderBlockchain,
  renderCoingecko,
  parseCoingeckoQuery,
  type CoingeckoQuery,
} from '../../../fakes/formats.ts';
import { makeManualClock } from '../../support/clocks.ts';
import { envelope } from '../ingest/helpers.ts';
import { keyAt, memoryStore } from './archive-store.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 8, 9, 10, 0);
const query = parseCoingeckoQuery(
  new URLSearchParams('ids=bitcoin&vs_currencies=usd,eur&include_last_updated_at=true'),
) as CoingeckoQuery;

/** 20 minutes of two sources; `perObject` envelopes to an object, arriving a second after the last one. */
function archive(perObject: number, extra: [string, string][] = []): Map<string, string> {
  const envs: RawEnvelope[] = [];
  for (let i = 0; i < 20; i++) {
    const m = T + i * MIN;
    envs.push(envelope('blockchain', m, { body: renderBlockchain(m, 4, { codes: ['USD', 'EUR', 'JPY'] }) }));
    envs.push(envelope('coingecko', m, { body: renderCoingecko(m, 4, query) }));
  }
  const objects = new Map<string, string>(extra);
  for (let i = 0; i < envs.length; i += perObject) {
    const group = envs.slice(i, i + perObject);
    objects.set(
      keyAt(Date.parse(group.at(-1)!.fetchedAt) + 1_000, `o${i}`),
      group.map(serializeEnvelope).join(''),
    );
  }
  return objects;
}

/** A database with nothing stored. */
const emptyDb: Db = { query: async <R extends object>() => [] as R[], end: async () => {} };

const options = (over: Partial<ReplayOptions> = {}): ReplayOptions => ({
  from: T,
  to: T + 20 * MIN,
  sources: null,
  force: false,
  slackMs: 10 * MIN,
  batchRows: 30,
  concurrency: 2,
  resumable: true,
  fresh: false,
  ...over,
});

async function replay(
  objects: Map<string, string>,
  over: Partial<ReplayOptions> = {},
  hooks: {
    write?: (b: Batch) => Promise<void>;
    signal?: AbortSignal;
    onObject?: (o: ArchiveObject) => void;
    events?: string[];
  } = {},
) {
  const events = hooks.events ?? [];
  const batches: Batch[] = [];
  const summary = await runReplay(options(over), {
    db: emptyDb,
    store: {
      // Progress saves (`replay_progress` rows: done_until and status) are recorded apart from the batches.
      write: async (b) => {
        for (const p of b.progress ?? [])
          events.push(`save ${new Date(p.doneUntil).toISOString()} ${p.status}`);
        if (b.progress) return;
        await hooks.write?.(b);
        batches.push(b);
        events.push(`write ${b.rates?.length ?? 0}`);
      },
    },
    archive: memoryStore(objects, new Set(), 3),
    prefix: 'raw/',
    archiveName: 'memory',
    clock: makeManualClock(T + 30 * 24 * 60 * MIN),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    ...(hooks.onObject ? { onObject: hooks.onObject } : {}),
  });
  const rates = batches.flatMap((b) => b.rates ?? []);
  return { summary, batches, rates, events };
}

const byKey = (rs: Rate[]) =>
  [...rs].sort((a, b) => a.ts - b.ts || (`${a.source}${a.currency}` < `${b.source}${b.currency}` ? -1 : 1));

describe('runReplay', () => {
  it('writes whole minutes in order, every row once, saving progress after a write, then done', async () => {
    const { summary, batches, rates, events } = await replay(archive(1));
    expect(summary.interrupted).toBe(false);
    expect(rates).toHaveLength(20 * 5);
    expect(summary.counters).toMatchObject({
      objects: 40,
      envelopes: 40,
      rates: 100,
      ratesWritten: 100,
      polls: 40,
    });
    expect(batches.length).toBeGreaterThan(3);
    const minutes = batches.map((b) => [...new Set((b.rates ?? []).map((r) => r.ts))]);
    expect(minutes.flat()).toEqual(Array.from({ length: 20 }, (_, i) => T + i * MIN)); // no minute split
    // The first save follows the first write; the last says done for the whole range.
    expect(events[0]).toMatch(/^write /);
    expect(events[1]).toMatch(/^save .* running$/);
    expect(events.at(-1)).toBe(`save ${new Date(T + 20 * MIN).toISOString()} done`);
  });

  it('gives the same rows whatever the object layout, batch size and concurrency', async () => {
    const a = await replay(archive(1));
    const b = await replay(archive(7), { batchRows: 1_000, slackMs: 60 * MIN, concurrency: 8 });
    expect(byKey(b.rates)).toEqual(byKey(a.rates));
    expect(b.batches).toHaveLength(1);
  });

  it('reports a corrupt object by its key, skips it and reads on', async () => {
    const bad = keyAt(T + 5 * MIN + 30_000, 'corrupt');
    const seen: ArchiveObject[] = [];
    const { summary, rates } = await replay(
      archive(1, [[bad, '{"v":1,"id":"x"\n<html>oops</html>\n']]),
      {},
      {
        onObject: (o) => seen.push(o),
      },
    );
    expect(seen.find((o) => o.key === bad)?.bad).toEqual([
      { line: 1, error: expect.stringMatching(/^not JSON/) },
      { line: 2, error: expect.stringMatching(/^not JSON/) },
    ]);
    expect(summary.counters).toMatchObject({ badObjects: 1, badLines: 2, objects: 41 });
    expect(rates).toHaveLength(100);
  });

  it('stops at a failed write and rejects with its error, having saved progress only before it', async () => {
    let n = 0;
    const events: string[] = [];
    const write = async () => {
      if (++n === 2) throw new Error('QuestDB down');
    };
    await expect(replay(archive(1), {}, { write, events })).rejects.toThrow('QuestDB down');
    expect(n).toBe(2); // nothing written after the failure
    expect(events).toEqual(['write 25', `save ${new Date(T + 5 * MIN).toISOString()} running`]);
  });

  it('ends early when aborted, interrupted and without saving done', async () => {
    const abort = new AbortController();
    let objects = 0;
    const { summary, rates, events } = await replay(
      archive(1),
      {},
      {
        signal: abort.signal,
        onObject: () => void (++objects === 25 && abort.abort()),
      },
    );
    expect(summary.interrupted).toBe(true);
    expect(summary.counters.objects).toBe(25);
    expect(rates.length).toBeLessThan(100);
    expect(events.some((e) => e.endsWith('done'))).toBe(false);
  });
});
