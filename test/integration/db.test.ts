/** The typed failure of sql/db.ts: QuestDB not reached is DbUnavailable; an answer from QuestDB passes through. */
import { describe, expect, it } from 'vitest';
import { DbUnavailable, makeDb } from '../../sql/db.ts';
import { testConfig } from './stack-env.ts';

describe('makeDb errors', () => {
  it('raises DbUnavailable, naming where, when nothing listens on the PG port', async () => {
    const db = makeDb(testConfig({ QUESTDB_PG_PORT: '9' }), 1);
    const err = await db.query('SELECT 1').catch((e: unknown) => e);
    await db.end();
    expect(err).toBeInstanceOf(DbUnavailable);
    expect((err as Error).message).toMatch(/QuestDB \(PG wire 127\.0\.0\.1:9\) is not reachable/);
  });

  it('lets an error QuestDB answered through as itself', async () => {
    const db = makeDb(testConfig(), 1);
    const err = await db.query('SELECT * FROM no_such_table_here').catch((e: unknown) => e);
    await db.end();
    expect(err).not.toBeInstanceOf(DbUnavailable);
    expect((err as Error).message).toMatch(/no_such_table_here/);
  });
});
