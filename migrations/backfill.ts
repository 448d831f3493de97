/** `npm run backfill -- <name> [options]`: run one backfill (idempotent) by name; `--help` lists them. */
import { runCli } from '../common/cli.ts';
import { loadEnv, parseConfig } from '../common/config.ts';
import { makeLogger } from '../common/log.ts';
import { BACKFILLS, type Backfill } from './backfills/registry.ts';

/** The help text listing every backfill. Pure. */
export function backfillHelp(backfills: Backfill[] = BACKFILLS): string {
  const lines = [
    'usage: npm run backfill -- <name> [options]',
    '       npm run backfill -- <name> --help',
    '',
  ];
  if (backfills.length === 0) lines.push('no backfills are registered');
  else {
    lines.push('backfills:');
    const width = Math.max(...backfills.map((b) => b.name.length));
    for (const b of backfills) lines.push(`  ${b.name.padEnd(width)}  ${b.summary}`);
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(backfillHelp() + '\n');
    return 0;
  }
  const backfill = BACKFILLS.find((b) => b.name === name);
  if (!backfill) {
    const known = BACKFILLS.map((b) => b.name).join(', ');
    const what = name ? `unknown backfill "${name}"` : 'name a backfill';
    process.stderr.write(`backfill: ${what}; known: ${known} (--help for usage)\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${backfill.summary}\n\n${backfill.usage}\n`);
    return 0;
  }
  const config = parseConfig(loadEnv());
  return backfill.run(args, { config, log: makeLogger(`backfill:${name}`, config.LOG_LEVEL) });
}

const argv = process.argv.slice(2);
runCli(argv[0] && !argv[0].startsWith('-') ? argv[0] : 'backfill', () => main(argv));
