/** Small builders shared by the ingest unit tests: a log that records, attempts and envelopes. */
import { makeLogger, type Log } from '../../../common/log.ts';
import type { SourceName } from '../../../common/types.ts';
import { makeEnvelopes, type RawEnvelope } from '../../../ingest/archive/envelope.ts';
import type { Attempt } from '../../../ingest/http.ts';

export type Line = { level: number; msg: string; [k: string]: unknown };

/** A pino logger whose JSON lines are kept in `lines` (level 40 = warn, 50 = error). */
export function recordingLog(level = 'debug'): { log: Log; lines: Line[] } {
  const lines: Line[] = [];
  const log = makeLogger('test', level, { write: (s) => void lines.push(JSON.parse(s) as Line) });
  return { log, lines };
}

/** One attempt as the HTTP client returns it, 200 with `body` unless told otherwise. */
export function attempt(over: Omit<Partial<Attempt>, 'body'> & { body?: Buffer | string } = {}): Attempt {
  const body = over.body === undefined ? Buffer.alloc(0) : Buffer.from(over.body);
  return {
    attempt: 1,
    fetchedAt: Date.UTC(2030, 0, 1, 0, 0, 1),
    latencyMs: 12.5,
    status: 200,
    headers: { 'content-type': 'application/json' },
    bodyTruncated: false,
    error: null,
    ...over,
    body,
  };
}

/** The single envelope of one attempt at `minute`. */
export function envelope(
  source: SourceName,
  minute: number,
  over: Omit<Partial<Attempt>, 'body'> & { body?: Buffer | string } = {},
): RawEnvelope {
  const [e] = makeEnvelopes({
    source,
    url: `http://127.0.0.1/${source}`,
    minute,
    attempts: [attempt({ fetchedAt: minute + 1_000, ...over })],
    poller: 'test',
  });
  return e!;
}
