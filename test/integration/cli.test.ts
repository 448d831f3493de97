/**
 * The CLIs beside a stack, run as a user runs them: `npm run ...` in a project folder whose `.env` holds the
 * stack's settings, with nothing else in the environment but PATH and HOME. The folder is a copy of the project
 * made of symlinks, so its `.env` (the test stack's shifted ports) is its own.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeS3 } from '../../common/aws.ts';
import { makeEnvelopes, serializeEnvelope } from '../../ingest/archive/envelope.ts';
import { renderBlockchain } from '../../fakes/formats.ts';
import { makeDb, type Db } from '../../sql/db.ts';
import { firehoseKey } from './replay-support.ts';
import { TEST_ENV, TEST_PORT_OFFSET, testConfig, waitFor } from './stack-env.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIN = 60_000;
const config = testConfig();
const folders: string[] = [];

/** A project folder whose `.env` holds `settings`: every other entry is a symlink into the real project. */
function projectWith(settings: Record<string, string>): string {
  const base = resolve(ROOT, '.stack', 'test');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(resolve(base, 'cli-'));
  folders.push(dir);
  for (const entry of readdirSync(ROOT))
    if (!['.env', '.stack', '.git'].includes(entry)) symlinkSync(resolve(ROOT, entry), resolve(dir, entry));
  writeFileSync(
    resolve(dir, '.env'),
    Object.entries(settings)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  return dir;
}

/** `npm run <script> -- args` in `dir` with a clean environment. */
function npmRun(dir: string, script: string, args: string[]) {
  return spawnSync('npm', ['run', '--silent', script, '--', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

/** The settings of the test stack as a user would write them: ports and names only, no AWS endpoint or keys. */
const STACK_SETTINGS = Object.fromEntries(
  [
    'QUESTDB_HTTP_PORT',
    'QUESTDB_PG_PORT',
    'QUESTDB_ILP_TCP_PORT',
    'QUESTDB_HEALTH_PORT',
    'MOTO_PORT',
    'RAW_BUCKET',
    'FIREHOSE_STREAM',
    'LOG_LEVEL',
  ].map((k) => [k, TEST_ENV[k]!]),
);

/** A minute of the past no other test writes (replay lists the archive up to the present only). */
const minute = () => Date.UTC(2021, 0, 1) + Math.floor(Math.random() * 300 * 24 * 60) * MIN;
const iso = (ms: number) => new Date(ms).toISOString();

let beside: string;
let db: Db;
beforeAll(() => {
  beside = projectWith(STACK_SETTINGS);
  db = makeDb(config, 1);
});
afterAll(async () => {
  await db.end();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('CLIs beside a stack, configured only by its .env', () => {
  it('replay-s3 reads the archive and writes rates with no variable exported', async () => {
    const at = minute();
    const [envelope] = makeEnvelopes({
      source: 'blockchain',
      url: 'http://127.0.0.1/blockchain',
      minute: at,
      attempts: [
        {
          attempt: 1,
          fetchedAt: at + 1_000,
          latencyMs: 20,
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from(renderBlockchain(at, 1, { codes: ['USD'] })),
          bodyTruncated: false,
          error: null,
        },
      ],
      poller: 'test',
    });
    const s3 = makeS3(config);
    await s3.send(
      new PutObjectCommand({
        Bucket: config.RAW_BUCKET,
        Key: firehoseKey(config, at + 2_000, `cli-${TEST_PORT_OFFSET}`),
        Body: `${serializeEnvelope(envelope!)}\n`,
      }),
    );
    s3.destroy();

    const r = npmRun(beside, 'backfill', ['replay-s3', '--from', iso(at), '--to', iso(at + MIN)]);
    expect(r.stderr).not.toMatch(/credentials|ECONNREFUSED/);
    expect(r.stdout).toMatch(/envelopes +1 in range/);
    expect(r.status).toBe(0);
    await waitFor(
      async () =>
        (
          await db.query<{ n: string | number }>(
            "SELECT count() n FROM rates WHERE source = 'blockchain' AND currency = 'USD' AND ts >= $1 AND ts < $2",
            [iso(at), iso(at + MIN)],
          )
        ).map((r) => Number(r.n))[0] === 1,
      20_000,
      'the replayed USD rate',
    );
  });

  it('replay-s3 over a range with no envelope says so and exits 1, unless --allow-empty', () => {
    const at = minute();
    const args = ['replay-s3', '--from', iso(at), '--to', iso(at + 5 * MIN), '--slack', '0'];
    const empty = npmRun(beside, 'backfill', args);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/holds no envelope for .*nothing replayed \(--allow-empty accepts that\)/);
    expect(npmRun(beside, 'backfill', [...args, '--allow-empty']).status).toBe(0);
  });

  it('replay-s3 --from 2031-02-30 exits 2 with one line naming --from and the value', () => {
    const r = npmRun(beside, 'backfill', ['replay-s3', '--from', '2031-02-30', '--to', '2031-03-05']);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^replay-s3: --from "2031-02-30": no such date/)]);
    // Before the first Bitcoin block (QuestDB would refuse the writes), or a flag given twice: refused the same way.
    for (const [args, line] of [
      [
        ['export', '--from', '1900-01-01', '--to', '2009-01-03'],
        /^export: --from "1900-01-01": before 2009-01-03/,
      ],
      [
        ['replay-s3', '--from', '1900-01-01', '--to', '1900-01-02'],
        /^replay-s3: --from "1900-01-01": before/,
      ],
      [['candles', '--venue', 'kraken', '--venue', 'bitstamp'], /^candles: --venue given more than once/],
    ] as const) {
      const bad = npmRun(beside, 'backfill', [...args]);
      expect(bad.status).toBe(2);
      expect(lines(bad.stderr)).toEqual([expect.stringMatching(line)]);
    }
  });

  it('import-csv and backtest given a folder or a missing file, and migrate a missing folder, exit 2 naming it', () => {
    const dir = folders[0]!;
    const absent = resolve(dir, 'absent.csv');
    const backtest = npmRun(beside, 'backtest', ['--csv', absent]);
    expect(backtest.status).toBe(2);
    expect(lines(backtest.stderr)).toEqual([
      `backtest: --csv ${absent}: ENOENT: no such file or directory (npm run backtest -- --help for usage)`,
    ]);
    const migrate = npmRun(beside, 'migrate', ['--dir', absent]);
    expect(migrate.status).toBe(2);
    expect(lines(migrate.stderr)).toEqual([
      expect.stringContaining(`migrate: --dir ${absent}: ENOENT: no such file or directory`),
    ]);
    for (const [file, why] of [
      [dir, 'not a file'],
      [absent, 'ENOENT: no such file or directory'],
    ]) {
      const r = npmRun(beside, 'backfill', [
        'import-csv',
        '--file',
        file!,
        '--source',
        's',
        '--currency',
        'USD',
      ]);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toEqual([expect.stringContaining(`import-csv: --file ${file}: ${why}`)]);
    }
  });

  it('import-csv with no usable row exits 1 naming the file, and registers nothing', async () => {
    const dir = folders[0]!;
    const file = resolve(dir, 'no-rows.csv');
    writeFileSync(file, 'timestamp,open,high,low,close\n2031-02-30T00:00:00Z,1,2,0.5,1.5\n');
    const source = `cli-empty-${TEST_PORT_OFFSET}`;
    const r = npmRun(beside, 'backfill', [
      'import-csv',
      '--file',
      file,
      '--source',
      source,
      '--currency',
      'USD',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `import-csv: ${file}: no usable row: every data line was refused (1 bad timestamp; first, line 2:`,
    );
    expect(r.stderr).toMatch(/nothing written\n$/);
    expect(await db.query('SELECT id FROM sources WHERE id = $1', [source])).toEqual([]);
  });
});

describe('CLIs with nothing reachable', () => {
  // Ports where nothing listens: a stack that is not running, as its tools see it.
  const free = (n: number) => String(47_000 + TEST_PORT_OFFSET + n);
  const DEAD = {
    QUESTDB_HTTP_PORT: free(1),
    QUESTDB_PG_PORT: free(2),
    QUESTDB_HEALTH_PORT: free(3),
    MOTO_PORT: free(4),
  };
  let dead: string;
  beforeAll(() => {
    dead = projectWith(DEAD);
    writeFileSync(resolve(dead, 'one.csv'), '2024-01-01T00:00:00Z,1,2,0.5,1.5\n');
  });

  const cases: [string, string, string[], RegExp][] = [
    [
      'replay-s3',
      'backfill',
      ['replay-s3', '--from', '2021-01-01', '--to', '2021-01-02'],
      /S3 at http:\/\/127\.0\.0\.1:47\d+ is not reachable/,
    ],
    [
      'import-csv',
      'backfill',
      ['import-csv', '--file', 'one.csv', '--source', 'cli-dead', '--currency', 'USD'],
      /QuestDB \(PG wire 127\.0\.0\.1:47\d+\) is not reachable/,
    ],
    [
      'backtest',
      'backtest',
      ['--source', 'blockchain', '--currency', 'USD', '--from', '2021-01-01', '--to', '2021-01-02'],
      /QuestDB \(PG wire 127\.0\.0\.1:47\d+\) is not reachable/,
    ],
    ['migrate', 'migrate', [], /QuestDB \(PG wire 127\.0\.0\.1:47\d+\) is not reachable/],
    ['bootstrap', 'bootstrap', [], /S3 at http:\/\/127\.0\.0\.1:47\d+ is not reachable/],
  ];
  it.each(cases)(
    '%s exits 1 with one line naming what it could not reach and how to point elsewhere',
    (name, script, args, what) => {
      const r = npmRun(dead, script, args);
      expect(r.status).toBe(1);
      const err = lines(r.stderr);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(new RegExp(`^${name}: `));
      expect(err[0]).toMatch(what);
      expect(err[0]).toMatch(/QUESTDB_HOST|AWS_ENDPOINT_URL/);
      expect(err[0]).toContain('.env');
    },
  );

  it('export with QuestDB up and S3 away names S3 before writing anything', () => {
    const r = npmRun(projectWith({ ...STACK_SETTINGS, MOTO_PORT: free(4) }), 'backfill', [
      ...['export', '--from', '2021-01-01', '--to', '2021-01-01'],
    ]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([
      expect.stringMatching(
        /^export: S3 at http:\/\/127\.0\.0\.1:47\d+ is not reachable: .*AWS_ENDPOINT_URL/,
      ),
    ]);
  });
});
