/**
 * ILP over HTTP into QuestDB with flushes serialized: overlapping flushes of one client have lost data
 * (nodejs-questdb-client issue #44), so every flush of a writer waits for the previous one.
 */
import { Sender } from '@questdb/nodejs-client';
import type { Config } from '../common/config.ts';

export type Ilp = {
  /** The underlying sender, for building rows (`table().symbol()...at(ts, 'ms')`). */
  sender: Sender;
  /** Flush what the sender holds, after any flush already under way. */
  flush(): Promise<void>;
  /** Flush, then close. (The client's own `close()` does not flush.) */
  close(): Promise<void>;
};

type IlpConfig = Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT'>;

/** ILP configuration string; auto-flush is off so the caller decides what one request (transaction) holds. */
export function ilpConfString(
  config: IlpConfig,
  opts: { retryTimeoutMs?: number; requestTimeoutMs?: number } = {},
): string {
  return (
    [
      `http::addr=${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}`,
      'auto_flush=off',
      `retry_timeout=${opts.retryTimeoutMs ?? 10_000}`,
      `request_timeout=${opts.requestTimeoutMs ?? 10_000}`,
    ].join(';') + ';'
  );
}

export async function makeIlp(
  config: IlpConfig,
  opts: { retryTimeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<Ilp> {
  const sender = await Sender.fromConfig(ilpConfString(config, opts));
  let tail: Promise<unknown> = Promise.resolve();
  const flush = (): Promise<void> => {
    const next = tail.then(
      () => sender.flush(),
      () => sender.flush(),
    );
    tail = next.catch(() => {});
    return next.then(() => undefined);
  };
  return {
    sender,
    flush,
    async close() {
      try {
        await flush();
      } finally {
        await sender.close();
      }
    },
  };
}
