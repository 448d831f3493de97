/**
 * The read side end to end on an in-memory archive: cuts at minute boundaries once minutes are final, the same
 * rows however the objects are laid out and cut, a stop that ends early without `done`, and the columnar hand-off.
 */
import { describe, expect, it } from 'vitest';
import { serializeEnvelope, type RawEnvelope } from '../../../ingest/archive/envelope.ts';
import { hourPrefix, listingWindow } from '../../../ingest/replay/keys.ts';
import {
  produceCuts,
  type CutEvent,
  type ProduceInput,
  type ProducerEvent,
} from '../../../ingest/replay/produce.ts';
import type { ArchiveStore } from '../../../ingest/replay/reader.ts';
import { packOuts, unpackOuts } from '../../../ingest/replay/transfer.ts';
import {
  renderBlockchain,
  renderCoingecko,
  parseCoingeckoQuery,
  type CoingeckoQuery,
} from '../../../fakes/formats.ts';
import { envelope } from '../ingest/helpers.ts';

const MIN = 60_000;
const T = Date.UTC(2031, 8, 9, 10, 0);
const pad = (n: number) => String(n).padStart(2, '0');
const key = (arrival: number, tag: string) => {
  const d = new Date(arrival);
  return `${hourPrefix('raw/', arrival)}s-1-${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${tag}`;
};
const query = parseCoingeckoQuery(
  new URLSearchParams('ids=bitcoin&vs_currencies=usd,eur&include_last_updated_at=true'),
) as CoingeckoQuery;

/** 20 minutes of two sources; `perObject` envelopes to an object, arriving a second after the last one. */
function archive(perObject: number): ArchiveStore {
  const envs: RawEnvelope[] = [];
  for (let i = 0; i < 20; i++) {
    const m = T + i * MIN;
    envs.push(envelope('blockchain', m, { body: renderBlockchain(m, 4, { codes: ['USD', 'EUR', 'JPY'] }) }));
    envs.push(envelope('coingecko', m, { body: renderCoingecko(m, 4, query) }));
  }
  const objects = new Map<string, string>();
  for (let i = 0; i < envs.length; i += perObject) {
    const group = envs.slice(i, i + perObject);
    objects.set(
      key(Date.parse(group.at(-1)!.fetchedAt) + 1_000, `o${i}`),
      group.map(serializeEnvelope).join(''),
    );
  }
  return {
    async *list(prefix, startAfter) {
      yield [...objects.keys()]
        .filter((k) => k.startsWith(prefix) && k > startAfter)
        .sort()
        .map((k) => ({ key: k, size: objects.get(k)!.length }));
    },
    open: async (k) =>
      (async function* () {
        yield Buffer.from(objects.get(k)!);
      })(),
  };
}

const input = (over: Partial<ProduceInput> = {}): ProduceInput => ({
  prefix: 'raw/',
  listing: listingWindow(T, T + 20 * MIN, 10 * MIN),
  from: T,
  to: T + 20 * MIN,
  slackMs: 10 * MIN,
  batchRows: 30,
  concurrency: 2,
  sources: ['blockchain', 'coingecko'],
  previous: {},
  firstSeen: [],
  ...over,
});

async function all(events: AsyncIterable<ProducerEvent>): Promise<ProducerEvent[]> {
  const out: ProducerEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}
const cuts = (events: ProducerEvent[]) => events.filter((e): e is CutEvent => e.kind === 'cut');
const rows = (events: ProducerEvent[]) => cuts(events).flatMap((c) => c.outs.flatMap((o) => o.rates));

describe('produceCuts', () => {
  it('cuts whole minutes in order, each after the objects it needed, and ends with done', async () => {
    const events = await all(produceCuts(input(), archive(1)));
    expect(events.at(-1)).toEqual({ kind: 'done' });
    const cs = cuts(events);
    expect(cs.length).toBeGreaterThan(3);
    for (const [i, c] of cs.entries()) {
      expect(c.from % MIN).toBe(0);
      if (i > 0) expect(c.from).toBeGreaterThanOrEqual(cs[i - 1]!.to);
      expect(c.outs.every((o) => o.minute >= c.from && o.minute < c.to)).toBe(true);
    }
    // A minute is handed out only once objects arrived past its deadline (or the archive ended).
    const firstCut = events.findIndex((e) => e.kind === 'cut');
    const before = events.slice(0, firstCut).filter((e) => e.kind === 'object');
    expect(before.length).toBeGreaterThan(10);
    expect(rows(events)).toHaveLength(20 * 5);
  });

  it('gives the same rows whatever the object layout and batch size', async () => {
    const a = rows(await all(produceCuts(input(), archive(1))));
    const b = rows(await all(produceCuts(input({ batchRows: 1_000, slackMs: 60 * MIN }), archive(7))));
    expect(b).toEqual(a);
  });

  it('stops after the object in hand when told to, without done', async () => {
    let objects = 0;
    const events = await all(produceCuts(input(), archive(1), () => ++objects >= 3));
    expect(events.filter((e) => e.kind === 'object')).toHaveLength(3);
    expect(events.some((e) => e.kind === 'done')).toBe(false);
  });
});

describe('packOuts / unpackOuts', () => {
  it('round-trips a cut’s minutes, quote times and nulls included', async () => {
    const outs = cuts(await all(produceCuts(input({ batchRows: 1_000 }), archive(3)))).flatMap((c) => c.outs);
    expect(outs.some((o) => o.rates.some((r) => r.quoteTs !== null))).toBe(true);
    expect(outs.some((o) => o.rates.some((r) => r.quoteTs === null))).toBe(true);
    expect(unpackOuts(packOuts(outs))).toEqual(outs);
  });
});
