/**
 * `.sql` files with name headers (`-- name: appliedMigrations :many`) parsed into named statements. Values are bind
 * parameters; what SQL cannot bind (a SAMPLE BY interval) is a `{slot}` filled from the caller's fixed constants.
 */
import { readFileSync } from 'node:fs';

export type QueryKind = 'many' | 'one' | 'exec';
export type NamedQuery = { name: string; kind: QueryKind; sql: string };

const HEADER = /^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(many|one|exec)\s*$/;

/** Parse the text of a `.sql` file into its named queries. Pure. */
export function parseNamedQueries(text: string, file = '<sql>'): Map<string, NamedQuery> {
  const out = new Map<string, NamedQuery>();
  let current: { name: string; kind: QueryKind; lines: string[]; line: number } | null = null;
  const finish = () => {
    if (!current) return;
    const sql = current.lines.join('\n').trim().replace(/;\s*$/, '');
    if (!sql) throw new Error(`${file}:${current.line}: query ${current.name} has no SQL`);
    out.set(current.name, { name: current.name, kind: current.kind, sql });
  };
  text.split(/\r?\n/).forEach((line, i) => {
    const m = HEADER.exec(line.trim());
    if (m) {
      finish();
      const name = m[1] as string;
      if (out.has(name)) throw new Error(`${file}:${i + 1}: query ${name} is defined twice`);
      current = { name, kind: m[2] as QueryKind, lines: [], line: i + 1 };
    } else if (current) {
      current.lines.push(line);
    } else if (line.trim() && !line.trim().startsWith('--')) {
      throw new Error(`${file}:${i + 1}: SQL before the first "-- name:" header`);
    }
  });
  finish();
  return out;
}

/** Load a `.sql` file (resolved against `base`, usually `import.meta.url`). */
export function loadQueries(file: string, base: string | URL): Map<string, NamedQuery> {
  const url = new URL(file, base);
  return parseNamedQueries(readFileSync(url, 'utf8'), url.pathname);
}

/** Fetch one query by name, failing loudly at load time when a file lacks it. */
export function pick(queries: Map<string, NamedQuery>, name: string): string {
  const q = queries.get(name);
  if (!q) throw new Error(`no query named ${name}`);
  return q.sql;
}

/** Fill a query's `{slot}`s with constants (words, numbers); every slot must be given. Pure. */
export function fillSlots(sql: string, values: Record<string, string | number>): string {
  return sql.replace(/\{(\w+)\}/g, (_, slot: string) => {
    const v = values[slot];
    if (v === undefined || !/^\w+$/.test(String(v))) throw new Error(`no constant for slot {${slot}}`);
    return String(v);
  });
}
