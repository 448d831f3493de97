/** The configuration table of docs/operations.md, from the config schema (`npm run docs:config` prints it). */
import { isMain, parseHelpOnly, runCli } from '../common/cli.ts';
import { VARIABLES } from '../common/config.ts';

export function configTable(): string {
  const rows = Object.entries(VARIABLES).map(
    ([name, v]) =>
      `| \`${name}\` | ${v.default === '' ? '(empty)' : `\`${v.default}\``} | ${v.doc.replace(/\|/g, '\\|')} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}

const USAGE = `usage: npm run docs:config

Prints the configuration table (every variable, its default and meaning) as Markdown. Settings are read from the
environment, then the .env file of the working directory, then these defaults.`;

if (isMain(import.meta.url))
  runCli('docs:config', async () => {
    const usage = parseHelpOnly('docs:config', process.argv.slice(2), 'npm run docs:config -- --help');
    if (usage !== null) return usage(USAGE);
    process.stdout.write(configTable() + '\n');
    return 0;
  });
