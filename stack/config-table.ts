/** The configuration table of docs/operations.md, from the config schema (`npm run docs:config` prints it). */
import { pathToFileURL } from 'node:url';
import { VARIABLES } from '../common/config.ts';

export function configTable(): string {
  const rows = Object.entries(VARIABLES).map(
    ([name, v]) =>
      `| \`${name}\` | ${v.default === '' ? '(empty)' : `\`${v.default}\``} | ${v.doc.replace(/\|/g, '\\|')} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(configTable() + '\n');
