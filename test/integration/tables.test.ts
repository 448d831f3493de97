/**
 * The schema edge against the migrations as applied to QuestDB: each table's columns, their types and its DEDUP
 * key in sql/tables.ts must match what `SHOW COLUMNS` reports, so the writers and the DDL cannot drift apart.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { makeDb } from '../../sql/db.ts';
import { TABLES } from '../../sql/tables.ts';
import { testConfig } from './stack-env.ts';

type ShownColumn = { column: string; type: string; designated: boolean; upsertKey: boolean };

const db = makeDb(testConfig(), 1);
afterAll(() => db.end());

describe('sql/tables.ts matches the applied DDL', () => {
  for (const spec of Object.values(TABLES)) {
    it(`${spec.name}: columns, types and DEDUP key`, async () => {
      const shown = await db.query<ShownColumn>(`SHOW COLUMNS FROM ${spec.name}`);
      const designated = shown.filter((c) => c.designated).map((c) => c.column);
      expect(designated).toEqual(['ts']);
      const types = Object.fromEntries(shown.filter((c) => !c.designated).map((c) => [c.column, c.type]));
      expect(Object.fromEntries(spec.columns.map((c) => [c.name, c.type]))).toEqual(types);
      const keys = shown.filter((c) => c.upsertKey).map((c) => c.column);
      expect([...spec.keys].sort()).toEqual(keys.sort());
    });
  }
});
