/** A bench's command line: its flags read strictly, its counts checked; a refusal is one line and exit status 2. */
import type { ParseArgsOptionsConfig } from 'node:util';
import { parseFlags, usageLine, wholeNumber } from '../common/cli.ts';

type Options = Record<string, { type: 'string' | 'boolean'; default: string | boolean }>;

/**
 * `options` read from the command line of `bench:<name>`, and the value of each flag in `counts` as a whole number
 * at least its minimum. `--help` prints the flags with their defaults.
 */
export function benchFlags<O extends Options, K extends keyof O & string>(
  name: string,
  options: O,
  counts: Record<K, number>,
): { values: { [F in keyof O]: O[F]['default'] }; counts: Record<K, number> } {
  const values = parseFlags(process.argv.slice(2), options as ParseArgsOptionsConfig) as Record<
    string,
    unknown
  >;
  const errors = [...((values.errors as string[] | undefined) ?? [])];
  if (values.help) {
    const flags = Object.entries(options).map(([f, o]) =>
      o.type === 'boolean' ? `[--${f}]` : `[--${f} ${o.default}]`,
    );
    const usage = [`npm run bench:${name}`, ...(flags.length ? ['--', ...flags] : [])].join(' ');
    process.stdout.write(`usage: ${usage} (bench/${name}.ts says more)\n`);
    process.exit(0);
  }
  const out = {} as Record<K, number>;
  if (!errors.length)
    for (const [flag, min] of Object.entries(counts) as [K, number][])
      out[flag] = wholeNumber(errors, flag, values[flag] as string, min);
  if (errors.length) {
    process.stderr.write(`${usageLine(`bench:${name}`, errors, `npm run bench:${name} -- --help`)}\n`);
    process.exit(2);
  }
  return { values: values as { [F in keyof O]: O[F]['default'] }, counts: out };
}
