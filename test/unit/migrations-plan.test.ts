import { describe, expect, it } from 'vitest';
import { checksumOf, parseMigrationFiles, planMigrations, splitStatements } from '../../migrations/plan.ts';
import { readMigrations } from '../../migrations/migrate.ts';

const files = parseMigrationFiles([
  { file: '0002_views.sql', text: 'CREATE TABLE b (x INT);' },
  { file: '0001_initial.sql', text: 'CREATE TABLE a (x INT);' },
  { file: 'migrate.ts', text: '' },
]);

describe('migration plan', () => {
  it('orders files by number and ignores non-SQL files', () => {
    expect(files.map((f) => f.file)).toEqual(['0001_initial.sql', '0002_views.sql']);
  });

  it('rejects badly named and duplicated migrations', () => {
    expect(() => parseMigrationFiles([{ file: '1_x.sql', text: '' }])).toThrow(/0001_some_name/);
    expect(() =>
      parseMigrationFiles([
        { file: '0001_a.sql', text: '' },
        { file: '0001_b.sql', text: '' },
      ]),
    ).toThrow(/share version 1/);
  });

  it('plans only what is not applied', () => {
    const applied = [{ version: 1, name: 'initial', checksum: checksumOf('CREATE TABLE a (x INT);') }];
    expect(planMigrations(files, applied).map((f) => f.version)).toEqual([2]);
    expect(
      planMigrations(files, [...applied, { version: 2, name: 'views', checksum: files[1]!.checksum }]),
    ).toEqual([]);
  });

  it('refuses an edited or vanished applied migration', () => {
    expect(() => planMigrations(files, [{ version: 1, name: 'initial', checksum: 'abc' }])).toThrow(
      /0001_initial.sql was edited after it was applied/,
    );
    expect(() => planMigrations(files, [{ version: 7, name: 'gone', checksum: 'abc' }])).toThrow(
      /its file is gone/,
    );
  });

  it('treats CRLF and LF checkouts as the same file', () => {
    expect(checksumOf('a;\r\nb;\r\n')).toBe(checksumOf('a;\nb;\n'));
  });

  it('splits statements, keeping semicolons inside quotes and dropping comments', () => {
    const sql = `-- header; with a semicolon\nCREATE TABLE t (s VARCHAR); -- trailing;\nINSERT INTO t VALUES ('a;b'), ('it''s');\n-- only a comment`;
    expect(splitStatements(sql)).toEqual([
      'CREATE TABLE t (s VARCHAR)',
      "INSERT INTO t VALUES ('a;b'), ('it''s')",
    ]);
    expect(() => splitStatements("SELECT 'open")).toThrow(/unterminated/);
  });

  it('reads the committed migrations, every statement idempotent', () => {
    const committed = readMigrations();
    expect(committed.length).toBeGreaterThan(0);
    for (const m of committed) {
      for (const stmt of splitStatements(m.text)) {
        // QuestDB DDL is not transactional: a crash halfway must leave a re-runnable script.
        if (/^CREATE\s/i.test(stmt))
          expect(stmt, `${m.file}: ${stmt.slice(0, 60)}`).toMatch(/IF NOT EXISTS/i);
        if (/^ALTER\s/i.test(stmt))
          expect(stmt, `${m.file}: ${stmt.slice(0, 60)}`).toMatch(/IF (NOT )?EXISTS/i);
        expect(stmt).not.toMatch(/^DROP\s/i);
      }
    }
  });
});
