/** Pure core of the migration runner: file names, checksums, statement splitting and the apply plan. */
import { createHash } from 'node:crypto';

export type MigrationFile = { version: number; name: string; file: string; text: string; checksum: string };
export type AppliedMigration = { version: number; name: string; checksum: string };

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** SHA-256 of the text with line endings normalized, so a checkout on another OS is not an "edit". */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/** Turn directory entries into ordered migrations; other files are ignored, bad `.sql` names are errors. */
export function parseMigrationFiles(entries: { file: string; text: string }[]): MigrationFile[] {
  const out: MigrationFile[] = [];
  for (const { file, text } of entries) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new Error(`migration file ${file}: name must look like 0001_some_name.sql`);
    out.push({ version: Number(m[1]), name: m[2] as string, file, text, checksum: checksumOf(text) });
  }
  out.sort((a, b) => a.version - b.version);
  for (let i = 1; i < out.length; i++) {
    const [prev, cur] = [out[i - 1], out[i]] as [MigrationFile, MigrationFile];
    if (prev.version === cur.version)
      throw new Error(`two migrations share version ${cur.version}: ${prev.file}, ${cur.file}`);
  }
  return out;
}

/** Which migrations to apply, or the reason to refuse: an applied one edited or missing. */
export function planMigrations(files: MigrationFile[], applied: AppliedMigration[]): MigrationFile[] {
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const problems: string[] = [];
  const done = new Set<number>();
  for (const a of applied) {
    done.add(a.version);
    const f = byVersion.get(a.version);
    if (!f) problems.push(`migration ${a.version} (${a.name}) was applied but its file is gone`);
    else if (f.checksum !== a.checksum)
      problems.push(
        `${f.file} was edited after it was applied (checksum ${a.checksum.slice(0, 12)} applied, ` +
          `${f.checksum.slice(0, 12)} now): applied migrations are immutable, write a new one instead`,
      );
  }
  if (problems.length) throw new Error(`Refusing to migrate:\n  - ${problems.join('\n  - ')}`);
  return files.filter((f) => !done.has(f.version));
}

/** Split a SQL script on `;` outside quotes and `--` comments; comment-only fragments are dropped. */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let buf = '';
  let i = 0;
  let quote: string | null = null;
  while (i < script.length) {
    const c = script[i] as string;
    if (quote) {
      buf += c;
      if (c === quote) {
        if (script[i + 1] === quote) {
          buf += quote;
          i++;
        } else quote = null;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      buf += c;
    } else if (c === '-' && script[i + 1] === '-') {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? script.length : nl;
      buf += '\n';
      continue;
    } else if (c === ';') {
      if (buf.trim()) out.push(buf.trim());
      buf = '';
    } else buf += c;
    i++;
  }
  if (quote) throw new Error('unterminated quoted string in SQL script');
  if (buf.trim()) out.push(buf.trim());
  return out;
}
