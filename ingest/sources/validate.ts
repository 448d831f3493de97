/** Pure checks on the values inside a payload: currency codes, rates, quote times, and the jump guard. */
import { GENESIS_MS } from '../../common/time.ts';
import type { RejectionReason } from './types.ts';

/** What a currency code must look like once upper-cased. */
export const CURRENCY_CODE = /^[A-Z0-9]{2,10}$/;

/** The asset every source prices; a rate of BTC in BTC is the source quoting itself, not a price. */
export const BASE_CURRENCY = 'BTC';

/** Quote times before the genesis block or after 2100 are corrupt (or in the wrong unit). */
const LATEST_QUOTE_MS = Date.UTC(2100, 0, 1);

/** Strict decimal text as Coinbase sends it: no separators, no spaces, no trailing letters. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; reason: RejectionReason; detail: string };

const bad = (reason: RejectionReason, detail: string): Checked<never> => ({ ok: false, reason, detail });

/** JSON-ish rendering of an untrusted value, bounded so a giant value cannot flood the error column. */
export function show(value: unknown, max = 60): string {
  let s: string;
  if (value === undefined) s = 'undefined';
  else if (typeof value === 'number') s = String(value);
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: JSON keys such as "constructor" must not reach Object.prototype. */
export function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Parse a payload key into a currency code. ASCII is required first: "ß".toUpperCase() is "SS". */
export function parseCurrencyCode(key: string): Checked<string> {
  // The common case first: a key that is already a code is its own upper case.
  if (CURRENCY_CODE.test(key)) return { ok: true, value: key };
  if (!/^[A-Za-z0-9]+$/.test(key) || !CURRENCY_CODE.test(key.toUpperCase()))
    return bad('bad_currency_code', `currency key ${show(key, 30)} is not 2-10 letters or digits`);
  return { ok: true, value: key.toUpperCase() };
}

/** The currency to name in a rejection for a payload key: its code when valid, else the key cut short. */
export function labelOf(key: string): string {
  const code = parseCurrencyCode(key);
  return code.ok ? code.value : key.slice(0, 32);
}

/** Parse a rate: a finite positive JSON number, or (only where the API sends them) a strict decimal string. */
export function parseRateValue(value: unknown, allowStrings: boolean): Checked<number> {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && allowStrings) {
    if (!DECIMAL.test(value)) return bad('not_a_number', `rate ${show(value)} is not a decimal number`);
    n = Number(value);
  } else {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return bad('not_a_number', `rate ${show(value)} is a ${kind}, expected a number`);
  }
  if (Number.isNaN(n)) return bad('not_a_number', `rate ${show(value)} is NaN`);
  if (!Number.isFinite(n)) return bad('not_finite', `rate ${show(value)} is not finite`);
  if (n <= 0) return bad('not_positive', `rate ${show(value)} is not positive`);
  return { ok: true, value: n };
}

function inQuoteRange(ms: number, raw: unknown): Checked<number> {
  if (ms < GENESIS_MS || ms >= LATEST_QUOTE_MS)
    return bad('bad_quote_time', `quote time ${show(raw)} is outside 2009-2100`);
  return { ok: true, value: ms };
}

/** Parse Unix seconds (CoinGecko's `last_updated_at`) into epoch ms; milliseconds by mistake fall out of range. */
export function parseUnixSeconds(value: unknown): Checked<number> {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return bad('bad_quote_time', `quote time ${show(value)} is not a number of seconds`);
  return inQuoteRange(Math.round(value * 1000), value);
}

/** Parse an ISO 8601 time with an explicit zone (CoinDesk's `updatedISO`) into epoch ms. */
export function parseIsoTime(value: unknown): Checked<number> {
  if (typeof value !== 'string' || !ISO_TIME.test(value))
    return bad('bad_quote_time', `quote time ${show(value)} is not an ISO 8601 time with a zone`);
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return bad('bad_quote_time', `quote time ${show(value)} is not a real date`);
  return inQuoteRange(ms, value);
}

/** Reject a rate more than `maxRatio` times off the previous one (the poller's check); no usable previous accepts. */
export function checkJump(
  previous: number | undefined,
  rate: number,
  maxRatio = 1.5,
): { reason: 'absurd_jump'; detail: string } | null {
  if (previous === undefined || !(previous > 0) || !Number.isFinite(previous)) return null;
  const ratio = rate > previous ? rate / previous : previous / rate;
  if (!(ratio <= maxRatio))
    return { reason: 'absurd_jump', detail: `rate ${rate} is ${show(ratio)}x the previous ${previous}` };
  return null;
}
