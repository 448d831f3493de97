import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BENCHES, summarize } from '../../bench/summary.ts';

/** Each benchmark's JSON as `npm run bench` wrote it on the development VM (2026-11-27). */
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/bench/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

describe("npm run bench's summary table", () => {
  it('reads a number for every figure of every benchmark', () => {
    for (const name of BENCHES) {
      const rows = summarize(name, fixture(name));
      expect(rows.length, name).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.value, `${name}: ${r.figure}`).toMatch(/\d/);
        expect(r.baseline, `${name}: ${r.figure}`).not.toMatch(/NaN|undefined|—/);
        expect(r.ratio, `${name}: ${r.figure}`).not.toMatch(/NaN|undefined|—/);
      }
    }
  });

  it('puts the normalizer beside JSON.parse of the same bodies, with the ratio', () => {
    const j = fixture('ingest') as {
      normalizer: { source: string; normalizeRowsPerS: number; jsonParseRowsPerS: number }[];
    };
    const rows = summarize('ingest', j).filter((r) => r.figure.startsWith('normalizer'));
    expect(rows).toHaveLength(j.normalizer.length);
    for (const [i, n] of j.normalizer.entries()) {
      expect(rows[i]!.baseline).toBe(`JSON.parse ${n.jsonParseRowsPerS.toFixed(0)}`);
      expect(rows[i]!.ratio).toBe((n.normalizeRowsPerS / n.jsonParseRowsPerS).toFixed(2));
    }
  });

  it('says whether the backfill met its target from the measured ratio, best against best and round by round', () => {
    const j = fixture('backfill') as {
      best: { ratio: number; target: number };
      perRound: { ratios: number[]; median: number };
    };
    const [row, perRound] = summarize('backfill', j);
    expect(row!.ratio).toBe(j.best.ratio.toFixed(2));
    expect(row!.met).toBe(j.best.ratio >= j.best.target ? 'yes' : 'NO');
    const sorted = [...j.perRound.ratios].sort((a, b) => a - b);
    expect(perRound!.ratio).toBe(sorted[Math.floor((sorted.length - 1) / 2)]!.toFixed(2));
    expect(perRound!.met).toBe(j.perRound.median >= j.best.target ? 'yes' : 'NO');
  });
});
