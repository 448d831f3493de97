import { describe, expect, it } from 'vitest';
import { parseNamedQueries } from '../../sql/loader.ts';

describe('named .sql queries', () => {
  it('parses name headers into queries, trimming the final semicolon', () => {
    const q = parseNamedQueries(
      `-- a file comment\n\n-- name: one :one\nSELECT 1\nFROM x WHERE a = $1;\n\n-- name: many :many\nSELECT 2;\n`,
    );
    expect([...q.values()]).toEqual([
      { name: 'one', kind: 'one', sql: 'SELECT 1\nFROM x WHERE a = $1' },
      { name: 'many', kind: 'many', sql: 'SELECT 2' },
    ]);
  });

  it('fails loudly on SQL outside a query, empty or duplicated queries', () => {
    expect(() => parseNamedQueries('SELECT 1;', 'f.sql')).toThrow(/f.sql:1: SQL before the first/);
    expect(() => parseNamedQueries('-- name: a :exec\n', 'f.sql')).toThrow(/query a has no SQL/);
    expect(() =>
      parseNamedQueries('-- name: a :exec\nSELECT 1;\n-- name: a :exec\nSELECT 2;', 'f.sql'),
    ).toThrow(/defined twice/);
  });
});
