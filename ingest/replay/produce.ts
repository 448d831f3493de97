/**
 * The read side of a replay: archive objects in, normalized minutes out in batches ("cuts"). Objects are read in
 * arrival order; a minute is normalized once no later object can add to it (its arrival deadline has passed),
 * envelopes deduplicated by id and ordered per source by attempt, fetch time and id, the jump check's memory
 * carried from minute to minute — so every run over the same archive gives the same rows. Its only I/O is the
 * archive, so it runs in the calling thread or in a worker alike (see producers.ts).
 */
import { makeMinuteBuffer, type MinuteGroup } from './buffer.ts';
import { makeReplayNormalizer, type MinuteOutput, type PreviousState } from './normalizer.ts';
import { readArchive, type ArchiveStore, type BadLine } from './reader.ts';

const MINUTE = 60_000;

/** Everything a producer needs, as plain data (it may cross to a worker). */
export type ProduceInput = {
  prefix: string;
  /** Arrival window to list, [from, to). */
  listing: { from: number; to: number };
  /** Minutes to normalize, [from, to). */
  from: number;
  to: number;
  slackMs: number;
  /** Rates and polls rows per cut (a cut ends at a minute boundary). */
  batchRows: number;
  concurrency: number;
  sources: string[];
  previous: PreviousState;
  firstSeen: [string, number][];
};

export type ObjectEvent = {
  kind: 'object';
  key: string;
  arrival: number;
  bytes: number;
  late: number;
  bad: BadLine[];
  /** Envelopes kept, and those skipped as repeats of an id already held. */
  envelopes: number;
  duplicates: number;
};

/** Minutes [from, to) normalized; `previous` is the jump-check memory right after them (for resuming). */
export type CutEvent = {
  kind: 'cut';
  from: number;
  to: number;
  outs: MinuteOutput[];
  previous: PreviousState;
  /** Every row of `outs` as ILP, as the writer would build them were nothing stored (see prebuilt.ts). */
  ilp?: Uint8Array;
};

/** The range is done (not sent when stopped early). */
export type DoneEvent = { kind: 'done' };

export type ProducerEvent = ObjectEvent | CutEvent | DoneEvent;

/** Read and normalize until the range is done or `stop()` says so (checked after each object and cut). */
export async function* produceCuts(
  input: ProduceInput,
  archive: ArchiveStore,
  stop: () => boolean = () => false,
): AsyncGenerator<ProducerEvent> {
  const sources = new Set(input.sources);
  const normalizer = makeReplayNormalizer({ previous: input.previous, firstSeen: new Map(input.firstSeen) });
  const buffer = makeMinuteBuffer();
  let outs: MinuteOutput[] = [];
  let rows = 0;

  function* normalizeGroups(groups: MinuteGroup[]): Generator<CutEvent> {
    for (const g of groups) {
      const out = normalizer.normalizeMinute(g.minute, g.envelopes);
      outs.push(out);
      rows += out.rates.length + out.polls.length;
      if (rows >= input.batchRows) {
        yield* cut(g.minute + MINUTE);
        if (stop()) return;
      }
    }
  }
  function* cut(to: number): Generator<CutEvent> {
    if (outs.length === 0) return;
    yield { kind: 'cut', from: outs[0]!.minute, to, outs, previous: normalizer.state() };
    outs = [];
    rows = 0;
  }

  if (input.from < input.to)
    for await (const o of readArchive(archive, {
      prefix: input.prefix,
      arrival: input.listing,
      from: input.from,
      to: input.to,
      slackMs: input.slackMs,
      concurrency: input.concurrency,
      want: (e) => sources.has(e.source),
    })) {
      let kept = 0;
      for (const e of o.envelopes) if (buffer.add(e, Date.parse(e.minute))) kept++;
      yield {
        kind: 'object',
        key: o.key,
        arrival: o.arrival,
        bytes: o.bytes,
        late: o.late,
        bad: o.bad,
        envelopes: kept,
        duplicates: o.envelopes.length - kept,
      };
      yield* normalizeGroups(buffer.takeBefore(o.arrival - MINUTE - input.slackMs));
      if (stop()) return;
    }
  yield* normalizeGroups(buffer.takeAll());
  if (stop()) return;
  yield* cut(input.to);
  yield { kind: 'done' };
}
