/**
 * A cut's rows built as ILP where they were read, for the writing thread only to send. On two cores the writing
 * thread was a replay's bottleneck (building ILP requests is most of its work: its event loop busy about 90% of a
 * replay) while the reading worker waited for it, so the worker builds the rows of the cuts it finishes while the
 * writer still has one in hand. It builds them as the writer would were nothing of the cut stored — `selectRows`
 * then `buildRows`, into a buffer of the client's own made with the writer's ILP configuration — and the writer
 * sends them as they are only when that holds (see replay.ts); otherwise it selects and builds as before.
 */
import type { SenderBuffer } from '@questdb/nodejs-client';
import { buildRows } from '../ilp-rows.ts';
import type { MinuteOutput } from './normalizer.ts';
import { selectRows } from './writer.ts';

const NOTHING_STORED = { rates: new Set<string>(), polls: new Set<string>() };

export type CutBuilder = {
  /** The cut's rows as ILP, a fresh copy (safe to transfer), or null when it has none. One call at a time. */
  build(outs: MinuteOutput[]): Promise<Uint8Array | null>;
  /** Load the client now rather than at the first `build`. */
  warm(): Promise<void>;
};

/** `conf`: the writer's ILP configuration string (`ilpConfString`); its protocol version decides the bytes. */
export function makeCutBuilder(conf: string): CutBuilder {
  let buffer: Promise<SenderBuffer> | null = null;
  const load = () =>
    (buffer ??= import('@questdb/nodejs-client').then((c) => c.createBuffer(new c.SenderOptions(conf))));
  return {
    async build(outs) {
      const b = await load();
      try {
        await buildRows(b, selectRows(outs, NOTHING_STORED, { force: false }).batch);
        const view = b.toBufferView(); // null when empty
        if (!view || view.length === 0) return null;
        const out = new Uint8Array(view.length);
        out.set(view);
        return out;
      } finally {
        b.reset();
      }
    },
    warm: async () => void (await load()),
  };
}
