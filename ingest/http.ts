/**
 * HTTP for the poller: undici with connect, header and body timeouts, a response size cap, and retries with
 * exponential backoff and jitter that honour Retry-After on 429 and 503 — all inside one poll's deadline, so a
 * poll never runs into the next. Every attempt is returned (the raw archive keeps failures too).
 */
import { Agent, request } from 'undici';
import type { Clock } from '../common/types.ts';

/** One HTTP attempt as received: the status (0 when no response came), headers, and the exact body bytes. */
export type Attempt = {
  attempt: number;
  /** Clock time when the response was complete (or the attempt failed), epoch ms. */
  fetchedAt: number;
  latencyMs: number;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** True when the body was cut at the size cap. */
  bodyTruncated: boolean;
  /** Network-level failure (timeout, refused, too large), null when a whole response arrived. */
  error: string | null;
};

export type HttpOptions = {
  clock: Clock;
  connectTimeoutMs: number;
  bodyTimeoutMs: number;
  maxBytes: number;
  maxAttempts: number;
  baseDelayMs: number;
  /** Jitter source in [0, 1); injected so tests are deterministic. */
  random?: () => number;
};

export type Http = {
  /** Fetch with retries until success, a non-retryable answer, `maxAttempts`, the deadline (clock ms) or `stop`. */
  fetchAttempts(
    url: string,
    headers: Record<string, string>,
    deadline: number,
    stop?: AbortSignal,
  ): Promise<Attempt[]>;
  close(): Promise<void>;
};

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Retry-After in milliseconds (delta-seconds or HTTP-date), or null when absent or unreadable. Pure. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; without this check Date.parse reads "1.5" or "-1" as 2001.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/**
 * Delay before attempt `next` (2, 3, ...): exponential backoff with "equal jitter", or the server's
 * Retry-After on 429/503 when it asks for longer. Pure.
 */
export function retryDelay(
  next: number,
  baseMs: number,
  random: number,
  retryAfterMs: number | null,
): number {
  const exp = baseMs * 2 ** (next - 2);
  const jittered = exp / 2 + (exp / 2) * random;
  return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
}

/** Whether an attempt is worth repeating: network failures and transient statuses. Pure. */
export function isRetryable(a: Pick<Attempt, 'status' | 'error'>): boolean {
  return a.error !== null ? true : RETRYABLE.has(a.status);
}

export function makeHttp(opts: HttpOptions): Http {
  const { clock } = opts;
  const random = opts.random ?? Math.random;
  const agent = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.bodyTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
    keepAliveTimeout: 30_000,
  });

  async function once(
    n: number,
    url: string,
    headers: Record<string, string>,
    budgetMs: number,
  ): Promise<Attempt> {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let status = 0;
    let resHeaders: Record<string, string> = {};
    let error: string | null = null;
    const signal = AbortSignal.timeout(Math.max(1, Math.round(budgetMs)));
    try {
      const res = await request(url, { method: 'GET', headers, dispatcher: agent, signal });
      status = res.statusCode;
      resHeaders = flattenHeaders(res.headers);
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        if (size + chunk.length > opts.maxBytes) {
          chunks.push(chunk.subarray(0, opts.maxBytes - size));
          size = opts.maxBytes;
          truncated = true;
          error = `response larger than ${opts.maxBytes} bytes`;
          res.body.destroy();
          break;
        }
        chunks.push(chunk);
        size += chunk.length;
      }
    } catch (err) {
      error = describe(err, signal.aborted, budgetMs);
    }
    return {
      attempt: n,
      fetchedAt: clock.now(),
      latencyMs: performance.now() - started,
      status,
      headers: resHeaders,
      body: Buffer.concat(chunks),
      bodyTruncated: truncated,
      error,
    };
  }

  return {
    async fetchAttempts(url, headers, deadline, stop) {
      const attempts: Attempt[] = [];
      for (let n = 1; n <= opts.maxAttempts && (n === 1 || !stop?.aborted); n++) {
        // The deadline is on the poller's clock, the timeouts in real time (they differ on an accelerated clock).
        const left = deadline - clock.now();
        const a = await once(n, url, headers, Math.min(opts.bodyTimeoutMs * 2, clock.realMs?.(left) ?? left));
        attempts.push(a);
        if (!isRetryable(a) || a.bodyTruncated || n === opts.maxAttempts) break;
        const retryAfter =
          a.status === 429 || a.status === 503
            ? parseRetryAfter(a.headers['retry-after'], clock.now())
            : null;
        const wait = retryDelay(n + 1, opts.baseDelayMs, random(), retryAfter);
        // Give up when the wait would leave no time for the next attempt before the deadline.
        if (clock.now() + wait + 1_000 > deadline) break;
        await clock.sleep(wait, stop);
      }
      return attempts;
    },
    close: () => agent.close(),
  };
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function describe(err: unknown, aborted: boolean, budgetMs: number): string {
  if (aborted) return `no complete response within ${Math.round(budgetMs)} ms`;
  const e = err as { code?: string; message?: string };
  return e.code ? `${e.code}: ${e.message ?? ''}`.trim() : (e.message ?? String(err));
}
