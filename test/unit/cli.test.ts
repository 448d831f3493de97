/** What every CLI shares: one-line failures, --help and unknown flags, and logs without terminal codes off a terminal. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { S3Unavailable, asAwsError } from '../../common/aws.ts';
import { failureLine, minuteRange, parseFlags, wholeNumber } from '../../common/cli.ts';
import { ConfigError, parseConfig } from '../../common/config.ts';
import { DbUnavailable } from '../../sql/db.ts';
import { plainOutput, stripAnsi } from '../../stack/logfmt.ts';
import { parseSupervisorArgs } from '../../stack/supervisor.ts';

describe('parseFlags', () => {
  const options = { from: { type: 'string' }, 'batch-size': { type: 'string' } } as const;
  it('refuses a flag given twice, rather than keeping the last', () => {
    expect(parseFlags(['--from', 'a', '--batch-size', '1', '--from', 'b'], options)).toEqual({
      errors: ['--from given more than once'],
    });
    expect(parseFlags(['--from=a', '--batch-size', '2'], options)).toMatchObject({
      from: 'a',
      'batch-size': '2',
    });
  });

  it('says in one line that a value starting with "-" needs "="', () => {
    expect(parseFlags(['--batch-size', '-1'], options)).toEqual({
      errors: ['--batch-size needs a value (one starting with "-" is written --batch-size=-1)'],
    });
    expect(parseFlags(['--batch-size=-1'], options)).toMatchObject({ 'batch-size': '-1' });
    expect(parseFlags(['--nope'], options)).toEqual({
      errors: [expect.stringMatching(/Unknown option '--nope'/)],
    });
  });
});

describe('minuteRange', () => {
  it('refuses a range that starts before the first Bitcoin block', () => {
    const errors: string[] = [];
    minuteRange({ from: '1900-01-01', to: '1900-01-02' }, errors);
    expect(errors).toEqual(['--from "1900-01-01": before 2009-01-03, the first Bitcoin block']);
    const fine: string[] = [];
    expect(minuteRange({ from: '2009-01-03', to: '2009-01-03T00:01Z' }, fine)).toEqual({
      from: Date.UTC(2009, 0, 3),
      to: Date.UTC(2009, 0, 3, 0, 1),
    });
    expect(fine).toEqual([]);
  });
});

describe('failureLine', () => {
  it('names what was not reached and the variables that point elsewhere, on one line', () => {
    const db = failureLine(
      new DbUnavailable('QuestDB (PG wire 127.0.0.1:8812) is not reachable: connect ECONNREFUSED'),
    );
    expect(db).toMatch(
      /^QuestDB \(PG wire 127\.0\.0\.1:8812\) is not reachable: .*QUESTDB_HOST, QUESTDB_PG_PORT.*\.env/,
    );
    const s3 = failureLine(
      new S3Unavailable('S3 at http://127.0.0.1:4566 is not reachable: connect ECONNREFUSED'),
    );
    expect(s3).toMatch(
      /^S3 at http:\/\/127\.0\.0\.1:4566 is not reachable: .*AWS_ENDPOINT_URL, MOTO_PORT.*\.env/,
    );
    let config: unknown;
    try {
      parseConfig({ QUESTDB_PG_PORT: 'eighty', SOURCES: 'nope' });
    } catch (err) {
      config = err;
    }
    expect(config).toBeInstanceOf(ConfigError);
    expect(failureLine(config)).toMatch(
      /^invalid configuration \(2 problems\): QUESTDB_PG_PORT=.*; SOURCES=/,
    );
    for (const line of [
      db,
      s3,
      failureLine(config),
      failureLine(new Error('Refusing to migrate:\n  - 0001 was edited')),
    ])
      expect(line).not.toContain('\n');
  });

  it('takes an AWS error without an HTTP answer for S3 not reached, and one with an answer as it is', () => {
    const aws = {
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    const refused = asAwsError(new Error('connect ECONNREFUSED 127.0.0.1:9'), aws);
    expect(refused).toBeInstanceOf(S3Unavailable);
    expect((refused as Error).message).toBe(
      'S3 at http://127.0.0.1:9 is not reachable: connect ECONNREFUSED 127.0.0.1:9',
    );
    const answered = Object.assign(new Error('Access Denied'), { $metadata: { httpStatusCode: 403 } });
    expect(asAwsError(answered, aws)).toBe(answered);
  });
});

describe('wholeNumber', () => {
  it('takes whole numbers in range and refuses the rest, naming the flag and the value', () => {
    const errors: string[] = [];
    expect(wholeNumber(errors, 'rounds', '3')).toBe(3);
    expect(wholeNumber(errors, 'seed', '0', 0)).toBe(0);
    expect(wholeNumber(errors, 'batch-size', '1000000', 1, 1_000_000)).toBe(1_000_000);
    expect(errors).toEqual([]);
    const bad = ['0', '2.5', 'abc', '', ' ', '1e3x', '-1', '0x10', '1e3', '+5'];
    for (const b of bad) wholeNumber(errors, 'rounds', b);
    wholeNumber(errors, 'rounds', undefined);
    wholeNumber(errors, 'concurrency', '65', 1, 64);
    // 2^53 + 1 reads as 2^53: past the last safe integer a number is refused, and the bound named.
    expect(wholeNumber([], 'rounds', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    wholeNumber(errors, 'rounds', '9007199254740993');
    expect(errors).toEqual([
      ...[...bad, 'undefined'].map((v) => `--rounds must be a whole number ≥ 1, got "${v}"`),
      '--concurrency must be a whole number from 1 to 64, got "65"',
      '--rounds must be a whole number from 1 to 9007199254740991, got "9007199254740993"',
    ]);
  });
});

describe('npm start arguments', () => {
  it('takes --demo and --help, and refuses anything else in one line', () => {
    expect(parseSupervisorArgs([])).toEqual({ demo: false, help: false });
    expect(parseSupervisorArgs(['--demo'])).toEqual({ demo: true, help: false });
    expect(parseSupervisorArgs(['-h'])).toEqual({ demo: false, help: true });
    const bad = parseSupervisorArgs(['--dmeo']);
    expect(bad).toEqual({ error: expect.stringMatching(/^npm start: Unknown option '--dmeo'.*--help/) });
  });
});

describe('logs off a terminal', () => {
  it('strips colours, cursor moves and titles', () => {
    expect(stripAnsi('\x1b[32mINFO\x1b[39m ready\x1b[K')).toBe('INFO ready');
    expect(stripAnsi('\x1b]0;title\x07plain \x1b[1;31mred\x1b[0m')).toBe('plain red');
    expect(stripAnsi('no codes here')).toBe('no codes here');
  });

  it('is plain when the stream is not a terminal or NO_COLOR is set', () => {
    expect(plainOutput({ isTTY: false }, {})).toBe(true);
    expect(plainOutput({}, {})).toBe(true);
    expect(plainOutput({ isTTY: true }, {})).toBe(false);
    expect(plainOutput({ isTTY: true }, { NO_COLOR: '1' })).toBe(true);
    expect(plainOutput({ isTTY: true }, { NO_COLOR: '' })).toBe(false);
  });

  it("strips an installer's terminal codes when the stack's output is a file or pipe", () => {
    const code =
      "import { run } from './stack/process.ts';" +
      "await run('printf', ['\\x1b[0m\\x1b[1mmvn says hi\\x1b[0m\\n']);";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('mvn says hi\n');
  });

  it('a command whose reader goes away (`| head`) ends quietly with status 0', async () => {
    // A report that keeps writing, as backtest does while its reader has what it wanted.
    const main =
      "import { runCli } from './common/cli.ts';" +
      "runCli('demo', async () => { for (;;) { process.stdout.write('row\\n'); await new Promise((r) => setTimeout(r, 5)); } });";
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main]);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await new Promise((res) => child.stdout.once('data', res));
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(err).toBe('');
  });

  it('a command that cannot write its output (a full disk) says so and exits 1', () => {
    const main =
      "import { runCli } from './common/cli.ts'; runCli('demo', async () => { console.log('row'); return 0; });";
    const out = openSync('/dev/full', 'w'); // every write fails with ENOSPC
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main], {
        stdio: ['ignore', out, 'pipe'],
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^demo: cannot write to standard output: .*ENOSPC/);
    } finally {
      closeSync(out);
    }
  });

  it.each([
    ['stops cleanly', 0, ''],
    ['fails to stop', 1, "throw new Error('flush lost');"],
  ])('a service that %s on SIGTERM exits %i, saying why', async (_, code, stopBody) => {
    // The timer stands for the server or loop that keeps a real service alive until its stop.
    const main =
      "import { runService } from './common/cli.ts';" +
      "runService('demo', async (_c, log) => { const t = setInterval(() => {}, 60_000); log.info('up');" +
      `return async () => { clearInterval(t); ${stopBody} }; });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', main], {
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    await vi.waitFor(() => expect(out).toContain('"up"'), { timeout: 20_000, interval: 50 });
    child.kill('SIGTERM');
    expect(await exited).toBe(code);
    if (code) expect(out).toMatch(/"flush lost".*"msg":"demo shutdown failed"/);
    else expect(out).not.toContain('failed');
  });
});
