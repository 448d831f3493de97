/** The configuration table of docs/operations.md, from the config schema (`npm run docs:config` prints it). */
import { isMain, parseFlags, runCli, usageExit } from '../common/cli.ts';
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
    const flags = parseFlags(process.argv.slice(2), {});
    if ('errors' in flags || flags.help)
      return usageExit({ name: 'docs:config', help: 'npm run docs:config -- --help', usage: USAGE }, flags);
    process.stdout.write(configTable() + '\n');
    return 0;
  });
