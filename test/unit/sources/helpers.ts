/** Shared bits of the source adapter tests: fixture loading and the invariants every parse result must keep. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { REJECTION_REASONS, type ParseResult, type RawResponse } from '../../../ingest/sources/types.ts';
import { INTERNAL } from '../../../ingest/sources/collect.ts';
import { CURRENCY_CODE } from '../../../ingest/sources/validate.ts';

/** A fixture's text, exactly as stored. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/api/${name}`, import.meta.url), 'utf8');
}

/** A 200 JSON response with `body`. */
export function ok(
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): RawResponse {
  return { status: 200, headers, body };
}

/**
 * What must hold for any input: known reasons with a detail, valid accepted rates, never an empty result,
 * never the adapter's own crash guard.
 */
export function expectWellFormed(result: ParseResult): void {
  for (const r of result.rejections) {
    expect(REJECTION_REASONS).toContain(r.reason);
    expect(typeof r.detail).toBe('string');
    expect(r.detail.length).toBeGreaterThan(0);
    expect(r.detail.startsWith(INTERNAL)).toBe(false);
    expect(r.currency === null || typeof r.currency === 'string').toBe(true);
  }
  for (const r of result.rates) {
    expect(Number.isFinite(r.rate)).toBe(true);
    expect(r.rate).toBeGreaterThan(0);
    expect(r.currency).toMatch(CURRENCY_CODE);
    expect(r.currency).not.toBe('BTC');
    expect(r.quoteTs === null || Number.isFinite(r.quoteTs)).toBe(true);
  }
  expect(result.rates.length + result.rejections.length).toBeGreaterThan(0);
}

/** The reasons of a result's rejections, for compact assertions. */
export function reasons(result: ParseResult): string[] {
  return result.rejections.map((r) => r.reason);
}
