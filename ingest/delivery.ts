/**
 * Delivery with a spool behind it: a batch goes to its target, or to the spool while the target is away; queued
 * batches are re-sent oldest first, before anything new. One refused for good is set aside, not left to block.
 */
import type { Log } from '../common/log.ts';
import { SpoolFull, type Spool, type SpoolChannel } from './spool.ts';

export type Outcome = 'sent' | 'spooled' | 'refused' | 'lost';

export type Delivery<T> = {
  /** Send `batch` (after draining the queue), or spool it. Resolves to what happened; never throws. */
  deliver(batch: T): Promise<Outcome>;
  /** Re-send queued batches in order; stops at the first failure. Returns how many were sent. */
  drain(): Promise<number>;
};

export function makeDelivery<T>(opts: {
  channel: SpoolChannel;
  spool: Spool;
  send: (batch: T) => Promise<void>;
  log: Log;
  /** Why the target refused a batch for good (it would refuse it again), or null to retry; absent: always retry. */
  refusal?: (err: unknown) => string | null;
  /** What did not arrive of a batch that was refused or could not be spooled (at its bound): losses must show. */
  onLost?: (batch: T, err: Error) => void;
}): Delivery<T> {
  const { channel, spool, send, log } = opts;
  let draining: Promise<number> | null = null;

  async function drainOnce(): Promise<number> {
    let sent = 0;
    for (const file of spool.list(channel)) {
      let batch: T;
      try {
        batch = JSON.parse(await spool.read(channel, file)) as T;
      } catch (err) {
        // Files are written atomically, so an unreadable one was damaged on disk: left queued it would block all.
        spool.setAside(channel, file);
        log.error({ channel, file, err: messageOf(err) }, 'unreadable spool file set aside');
        continue;
      }
      try {
        await send(batch);
      } catch (err) {
        const why = opts.refusal?.(err);
        if (why) {
          spool.setAside(channel, file, 'refused');
          log.error(
            { channel, file: `${file}.refused`, why },
            'spooled batch refused by its target: set aside',
          );
          opts.onLost?.(batch, err as Error);
          continue;
        }
        const rest = remainderOf(err);
        if (rest !== undefined) {
          // Part got through: queue only the rest (at the back; archive records carry their own minute and id).
          // If it does not fit, the whole batch stays: a re-sent duplicate is harmless, a throw would lose data.
          try {
            spool.append(channel, JSON.stringify(rest));
            spool.remove(channel, file);
          } catch (appendErr) {
            log.warn({ channel, file, err: messageOf(appendErr) }, 'kept the whole batch in the spool');
          }
        }
        const pending = spool.list(channel).length;
        log.warn({ channel, pending, err: messageOf(err) }, 'target still unreachable');
        return sent;
      }
      spool.remove(channel, file);
      sent++;
    }
    if (sent > 0) log.info({ channel, sent }, 'spooled batches delivered');
    return sent;
  }

  /** Keep a refused batch on disk beside the queue (a human may want it), and count it lost. */
  function refused(batch: T, err: Error, why: string): Outcome {
    let kept: string | null = null;
    try {
      const file = spool.append(channel, JSON.stringify(batch));
      spool.setAside(channel, file, 'refused');
      kept = `${file}.refused`;
    } catch (keepErr) {
      log.warn({ channel, err: messageOf(keepErr) }, 'refused batch not kept on disk');
    }
    log.error({ channel, file: kept, why }, 'batch refused by its target: set aside');
    opts.onLost?.(batch, err);
    return 'refused';
  }

  // A disk that fails to list or drain the queue is logged and passed by: a new batch is still sent or spooled.
  const failed = (err: unknown) => (log.error({ channel, err: messageOf(err) }, 'spool unusable'), 0);
  const queued = async () => spool.list(channel).length;
  const drain = (): Promise<number> => {
    draining ??= drainOnce()
      .catch(failed)
      .finally(() => (draining = null));
    return draining;
  };

  return {
    drain,
    async deliver(batch) {
      const before = await queued().catch(failed); // a failed listing is logged once per batch
      if (before > 0) await drain();
      let toSpool: T = batch;
      if (before === 0 || (await queued().catch(failed)) === 0) {
        try {
          await send(batch);
          return 'sent';
        } catch (err) {
          const why = opts.refusal?.(err);
          if (why) return refused(batch, err as Error, why);
          toSpool = (remainderOf(err) as T | undefined) ?? batch;
          log.warn({ channel, err: messageOf(err) }, 'delivery failed; spooling');
        }
      }
      try {
        spool.append(channel, JSON.stringify(toSpool));
        return 'spooled';
      } catch (err) {
        const e = err as Error;
        log.error(
          { channel, err: e.message, full: err instanceof SpoolFull },
          'SPOOL FULL: batch could not be kept',
        );
        opts.onLost?.(toSpool, e);
        return 'lost';
      }
    },
  };
}

/** What a sender says it did not deliver (see `PartialDelivery`), if it says so. */
const remainderOf = (err: unknown): unknown => (err as { remaining?: unknown } | null | undefined)?.remaining;
const messageOf = (err: unknown): string => (err as Error).message;
