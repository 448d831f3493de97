/** The checks every source shares: HTTP status, empty and HTML bodies, JSON syntax; each fails the whole poll. */
import type { RawEnvelope } from '../archive/envelope.ts';
import type { RawResponse, Rejection } from './types.ts';

export type Envelope = { ok: true; json: unknown } | { ok: false; rejection: Rejection };

const EXCERPT_CHARS = 120;

/** A short, single-line excerpt of untrusted text for a rejection's detail. */
export function excerpt(text: string, max = EXCERPT_CHARS): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

const fail = (reason: Rejection['reason'], detail: string): Rejection => ({ currency: null, reason, detail });

/** Why an envelope holds no answer to parse: no response at all, or a body cut at the size cap; else null. */
export function transportRejection(env: RawEnvelope): Rejection | null {
  if (env.error !== null && env.status === 0) return fail('network', `no response: ${env.error}`);
  // Not parsed: a prefix can still be valid JSON and would pass for the whole answer.
  return env.bodyTruncated ? fail('truncated', env.error ?? 'body cut at the size cap') : null;
}

/**
 * Why a response cannot hold rates, before its body is parsed (a non-2xx status first: Coinbase's 429 has a JSON
 * body; 451 is `unavailable_here`), or null when it should be parsed.
 */
export function rejectResponse(res: RawResponse): Rejection | null {
  const body = typeof res.body === 'string' ? res.body : '';
  if (!Number.isInteger(res.status) || res.status < 200 || res.status > 299) {
    const tail = body.trim() === '' ? '' : `: ${excerpt(body)}`;
    const reason =
      res.status === 429 ? 'rate_limited' : res.status === 451 ? 'unavailable_here' : 'http_status';
    return fail(reason, `HTTP ${String(res.status)}${tail}`);
  }
  if (body.trim() === '') return fail('empty_body', `HTTP ${res.status} with an empty body`);
  // Header names in any case: clients differ in how they spell them.
  const type = Object.entries(res.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  if (/text\/html/i.test(type) || body.trimStart().startsWith('<')) {
    // Proxies and CDNs answer with HTML error pages, sometimes with status 200.
    return fail('html_page', `HTML instead of JSON (content-type ${type || 'absent'}): ${excerpt(body, 80)}`);
  }
  return null;
}

/** Parse the envelope of a response into JSON, or say why not (`rejectResponse`, then JSON syntax). */
export function parseResponseJson(res: RawResponse): Envelope {
  const rejected = rejectResponse(res);
  if (rejected) return { ok: false, rejection: rejected };
  const body = res.body;
  try {
    // A byte-order mark is legal in a UTF-8 body but not in JSON.parse input.
    return { ok: true, json: JSON.parse(body.replace(/^\uFEFF/, '')) as unknown };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const rejection = looksCutOff(body)
      ? fail('truncated', `JSON ends early after ${body.length} characters (${why})`)
      : fail('not_json', `not JSON (${why}): ${excerpt(body, 80)}`);
    return { ok: false, rejection };
  }
}

/** True when the text ends inside a string or with brackets open: a body cut short (as error messages vary). */
export function looksCutOff(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 0) return false;
    }
  }
  return inString || depth > 0;
}
