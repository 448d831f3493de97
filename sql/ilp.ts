/**
 * ILP over HTTP into QuestDB, one batch at a time: overlapping flushes have lost data (nodejs-questdb-client #44),
 * so a batch is built and flushed under one lock, sent whole by its own request or failed whole.
 */
import { Sender } from '@questdb/nodejs-client';
import type { Config } from '../common/config.ts';
import { asDbError } from './db.ts';

export type Ilp = {
  /** Build rows with `build` (`sender.table().symbol()...at(ts, 'ms')`) and flush them, after any batch under way. */
  write(build: (sender: Sender) => Promise<void> | void): Promise<void>;
  close(): Promise<void>;
};

type IlpConfig = Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT'>;
export type IlpOptions = { retryTimeoutMs?: number; requestTimeoutMs?: number };

/** ILP configuration string; auto-flush is off so each batch is one request. */
function ilpConfString(config: IlpConfig, opts: IlpOptions = {}): string {
  return (
    [
      `http::addr=${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}`,
      'auto_flush=off',
      // Not 'auto', which asks the server at start: a poller must start while QuestDB is down.
      'protocol_version=2',
      // The default undici transport retries a refused connection forever; node:http gives up in time.
      'stdlib_http=on',
      `retry_timeout=${opts.retryTimeoutMs ?? 10_000}`,
      `request_timeout=${opts.requestTimeoutMs ?? 10_000}`,
    ].join(';') + ';'
  );
}

/** Why QuestDB refused a batch for good (HTTP 400: it would answer the same again), or null when it may pass later. */
export function ilpRefusal(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  return /\bstatusCode=400\b/.test(message) ? `QuestDB refused the batch: ${message.slice(0, 300)}` : null;
}

/** A failed flush as the caller sees it: QuestDB's refusal as it is, anything else as DbUnavailable. */
function asIlpError(err: unknown, config: IlpConfig): unknown {
  if (ilpRefusal(err) !== null) return err;
  return asDbError(err, `QuestDB (ILP over HTTP ${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT})`);
}

export async function makeIlp(config: IlpConfig, opts: IlpOptions = {}): Promise<Ilp> {
  const conf = ilpConfString(config, opts);
  const sender = await Sender.fromConfig(conf);
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = (run: () => Promise<void>) => {
    const next = tail.then(run, run);
    tail = next.catch(() => {});
    return next;
  };
  return {
    write(build) {
      const run = async () => {
        // Leave nothing of a failed batch behind to be sent with the next one.
        try {
          await build(sender);
        } catch (err) {
          sender.reset();
          throw err;
        }
        try {
          await sender.flush();
        } catch (err) {
          sender.reset();
          throw asIlpError(err, config);
        }
      };
      return inTurn(run);
    },
    async close() {
      await tail;
      await sender.close();
    },
  };
}
