/**
 * ILP over HTTP into QuestDB, one batch at a time. Overlapping flushes of one client have lost data
 * (nodejs-questdb-client issue #44), and rows of two callers sharing a buffer would ride on each other's
 * requests, so building a batch and flushing it happen together under one lock: a batch is sent whole, by its
 * own request, or fails whole (and the caller still holds its rows to spool them).
 */
import { createTransport, Sender, SenderOptions } from '@questdb/nodejs-client';
import type { Config } from '../common/config.ts';
import { DbUnavailable } from './db.ts';

export type Ilp = {
  /** Build rows with `build` (`sender.table().symbol()...at(ts, 'ms')`) and flush them, after any batch under way. */
  write(build: (sender: Sender) => Promise<void> | void): Promise<void>;
  /** Send rows built elsewhere into a buffer of the client's own (`createBuffer` with `ilpConfString`), in turn. */
  send(data: Uint8Array): Promise<void>;
  close(): Promise<void>;
};

type IlpConfig = Pick<Config, 'QUESTDB_HOST' | 'QUESTDB_HTTP_PORT'>;
export type IlpOptions = { retryTimeoutMs?: number; requestTimeoutMs?: number };

/** ILP configuration string; auto-flush is off so each batch is one request. */
export function ilpConfString(config: IlpConfig, opts: IlpOptions = {}): string {
  return (
    [
      `http::addr=${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT}`,
      'auto_flush=off',
      // Protocol 2 (binary doubles, QuestDB 9+) set explicitly: 'auto' asks the server at start, and a poller must
      // be able to start while QuestDB is down.
      'protocol_version=2',
      // The default undici transport retries a refused connection forever (its RetryAgent ignores retry_timeout
      // there), which would hang a poll while QuestDB is down; the node:http transport gives up in time.
      'stdlib_http=on',
      `retry_timeout=${opts.retryTimeoutMs ?? 10_000}`,
      `request_timeout=${opts.requestTimeoutMs ?? 10_000}`,
    ].join(';') + ';'
  );
}

/**
 * Why QuestDB refused an ILP batch for good, or null. HTTP 400 is its answer to a batch it will never take — a
 * line it cannot parse, a value that does not fit its column — and it would answer the same again; anything else
 * (connection refused, a timeout, a 5xx) may pass later.
 */
export function ilpRefusal(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  return /\bstatusCode=400\b/.test(message) ? `QuestDB refused the batch: ${message.slice(0, 300)}` : null;
}

/** A failed send as the caller sees it: QuestDB's refusal as it is, anything else as DbUnavailable. */
function asIlpError(err: unknown, config: IlpConfig): unknown {
  if (err instanceof DbUnavailable || ilpRefusal(err) !== null) return err;
  const where = `QuestDB (ILP over HTTP ${config.QUESTDB_HOST}:${config.QUESTDB_HTTP_PORT})`;
  return new DbUnavailable(`${where} is not reachable: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

export async function makeIlp(config: IlpConfig, opts: IlpOptions = {}): Promise<Ilp> {
  const conf = ilpConfString(config, opts);
  const sender = await Sender.fromConfig(conf);
  const transport = createTransport(await SenderOptions.fromConfig(conf));
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = (run: () => Promise<void>) => {
    const next = tail.then(run, run);
    tail = next.catch(() => {});
    return next;
  };
  return {
    send: (data) =>
      inTurn(async () => {
        await transport
          .send(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
          .catch((err: unknown) => Promise.reject(asIlpError(err, config)));
      }),
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
      await transport.close();
    },
  };
}
