/** Configuration, parsed once per process: environment over `.env` over defaults, every problem at once. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { parseIsoTime } from './time.ts';
import { SOURCE_NAMES } from './types.ts';

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be a port number 1-65535')
  .max(65535, 'must be a port number 1-65535');

const url = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

const optionalUrl = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.union([z.literal(''), url]));

const positiveInt = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive();

const wholeNumber = z
  .string()
  .trim()
  .regex(/^\d+$/, 'must be a whole number >= 0')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'must be at most 9007199254740991'));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A comma-separated list, blanks dropped, each item checked by `item`; `min` items at least. */
const commaList = <T extends z.ZodType<unknown, string>>(item: T, min = 0) =>
  z
    .string()
    .transform((s) => s.split(',').flatMap((x) => x.trim() || []))
    .pipe(z.array(item).min(min, 'must name at least one source'))
    .refine((a) => new Set(a).size === a.length, 'names a source twice');

type Variable = { schema: z.ZodType; default: string; doc: string };
/** A variable: how its value is checked, its default, and what it means. */
const v = <S extends z.ZodType>(schema: S, def: string, doc: string) => ({ schema, default: def, doc });

/** Every environment variable the project reads, with its default and meaning. */
export const VARIABLES = {
  LOG_LEVEL: v(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']), 'info', 'log level'),
  STACK_DIR: v(
    z.string().min(1),
    '.stack',
    'folder (relative to the project) for the local stack: QuestDB jar and data, moto virtualenv, spool, lock',
  ),
  QUESTDB_HOST: v(z.string().min(1), '127.0.0.1', 'QuestDB host'),
  QUESTDB_HTTP_PORT: v(port, '9000', 'QuestDB HTTP port: web console, REST /exec and ILP over HTTP'),
  QUESTDB_PG_PORT: v(port, '8812', 'QuestDB PostgreSQL wire port'),
  QUESTDB_ILP_TCP_PORT: v(
    port,
    '9009',
    'QuestDB ILP over TCP port (bound to loopback by the local stack; the project writes over HTTP)',
  ),
  QUESTDB_HEALTH_PORT: v(port, '9003', 'QuestDB health endpoint port (min HTTP server)'),
  QUESTDB_USER: v(z.string().min(1), 'admin', 'QuestDB PG wire user'),
  QUESTDB_PASSWORD: v(z.string(), 'quest', 'QuestDB PG wire password'),
  AWS_REGION: v(z.string().min(1), 'us-east-1', 'AWS region for S3 and Firehose'),
  AWS_ENDPOINT_URL: v(
    optionalUrl,
    '',
    'S3 and Firehose endpoint; empty means the local emulator (http://127.0.0.1:MOTO_PORT) while STACK_EMULATOR is true, real AWS when it is false',
  ),
  AWS_ACCESS_KEY_ID: v(
    z.string(),
    '',
    'AWS access key; empty means "test" while STACK_EMULATOR is true (the emulator accepts any), else the SDK default credential chain',
  ),
  AWS_SECRET_ACCESS_KEY: v(z.string(), '', 'AWS secret key (see AWS_ACCESS_KEY_ID)'),
  STACK_EMULATOR: v(
    bool,
    'true',
    '`npm start` runs the moto emulator for S3 and Firehose, and the stack and its tools use it; false uses AWS_ENDPOINT_URL (empty: real AWS) instead',
  ),
  MOTO_PORT: v(port, '4566', 'port of the local AWS emulator (moto server)'),
  EMULATOR_DATA_DIR: v(
    z.string(),
    '',
    'folder where the local AWS emulator writes every S3 object as it is stored and loads them back on start (the raw archive survives restarts); empty means STACK_DIR/s3',
  ),
  RAW_BUCKET: v(
    z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name'),
    'btc-rates-raw',
    'S3 bucket of the raw archive',
  ),
  RAW_PREFIX: v(
    z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be a key prefix ending in "/"'),
    'raw/',
    'key prefix under which Firehose writes raw envelopes (raw/YYYY/MM/DD/HH/...)',
  ),
  FIREHOSE_STREAM: v(
    z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be a valid delivery stream name'),
    'btc-rates-raw',
    'Kinesis Firehose delivery stream that writes the raw archive',
  ),
  FIREHOSE_ROLE_ARN: v(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'),
    'arn:aws:iam::123456789012:role/firehose-raw-archive',
    'IAM role the delivery stream assumes to write to the bucket (bootstrap only)',
  ),
  FIREHOSE_BUFFER_SECONDS: v(
    wholeNumber.pipe(z.number().max(900, 'must be 0-900 (Firehose buffers at most 15 minutes)')),
    '900',
    'how long the delivery stream gathers envelopes into one S3 object (bootstrap only; 0-900): 900 makes an ' +
      'object of 15 minutes, so a replay makes 15 times fewer GETs than at 60; the gap repair checks an hour ' +
      '20 minutes after it ends. A stream that exists keeps its own',
  ),
  SOURCES: v(
    commaList(
      z.enum(SOURCE_NAMES, { error: `unknown source; known sources are ${SOURCE_NAMES.join(', ')}` }),
      1,
    ),
    'blockchain',
    `comma-separated sources to poll: ${SOURCE_NAMES.join(', ')}`,
  ),
  BLOCKCHAIN_URL: v(url, 'https://blockchain.info/ticker', 'blockchain.info ticker URL'),
  COINBASE_URL: v(url, 'https://api.coinbase.com/v2/exchange-rates?currency=BTC', 'Coinbase rates URL'),
  COINGECKO_URL: v(
    url,
    'https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur,gbp,jpy,cny,inr,brl,cad,aud,chf&include_last_updated_at=true',
    'CoinGecko simple/price URL',
  ),
  COINGECKO_API_KEY: v(z.string(), '', 'optional CoinGecko demo key (x-cg-demo-api-key)'),
  COINDESK_URL: v(
    url,
    'https://api.coindesk.com/v1/bpi/currentprice.json',
    'CoinDesk BPI v1 URL (public host retired; for mirrors and archived data)',
  ),
  KRAKEN_URL: v(
    url,
    'https://api.kraken.com/0/public/Ticker?pair=XBTUSD,XBTUSDC,XBTUSDT',
    'Kraken ticker URL: every pair listed in `pair` in one request',
  ),
  BITSTAMP_URL: v(
    url,
    'https://www.bitstamp.net/api/v2/ticker/',
    'Bitstamp all-pairs ticker URL (every BTC pair it lists is kept)',
  ),
  COINBASE_EXCHANGE_URL: v(
    url,
    'https://api.exchange.coinbase.com/products/BTC-USD/ticker',
    'Coinbase Exchange ticker URL: one product (BTC-quote) per request',
  ),
  GEMINI_URL: v(url, 'https://api.gemini.com/v1/pubticker/btcusd', 'Gemini ticker URL (one symbol per call)'),
  BINANCE_URL: v(
    url,
    'https://api.binance.com/api/v3/ticker/price?symbols=%5B%22BTCUSDT%22,%22BTCUSDC%22%5D',
    'Binance ticker URL with its `symbols`; api.binance.com answers HTTP 451 from some countries (the US among them): Binance.US serves the same routes from https://api.binance.us',
  ),
  POLL_INTERVAL_SECONDS: v(
    positiveInt.min(10, 'must be at least 10 (a poll must finish 5 s before the next)').max(3600),
    '60',
    'seconds between polls of each source, aligned to the clock (10-3600)',
  ),
  POLLER_ID: v(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lower-case letters, digits or dashes'),
    'main',
    'name of this poller process (recorded in envelopes; each poller has its own spool folder)',
  ),
  HTTP_CONNECT_TIMEOUT_MS: v(positiveInt, '5000', 'TCP connect timeout of API calls'),
  HTTP_TIMEOUT_MS: v(positiveInt, '10000', 'time an API call may wait for headers, and between body chunks'),
  HTTP_MAX_BYTES: v(
    positiveInt.max(600_000, 'must be at most 600000 (a Firehose record holds 1000 KiB)'),
    '262144',
    'response size cap; a larger body is cut there, archived as cut, and rejected',
  ),
  HTTP_MAX_ATTEMPTS: v(positiveInt.max(10), '4', 'tries per poll (transient failures are retried)'),
  HTTP_RETRY_BASE_MS: v(
    positiveInt,
    '1000',
    'first retry delay; doubled each retry, with jitter; a longer Retry-After wins',
  ),
  SPOOL_DIR: v(z.string(), '', 'local spool folder for undeliverable batches; empty means STACK_DIR/spool'),
  SPOOL_MAX_BYTES: v(positiveInt, String(512 * 1024 * 1024), 'size bound of the local spool, in bytes'),
  FORECAST_SOURCES: v(
    commaList(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be source names')),
    '',
    'comma-separated sources whose series the forecaster projects; empty means every source with data',
  ),
  FORECAST_DELAY_SECONDS: v(
    z.coerce.number({ error: 'must be a number' }).int().min(0).max(59),
    '20',
    "seconds after each minute at which the forecaster runs (time for that minute's polls to land)",
  ),
  CLOCK_SPEED: v(
    z.coerce.number({ error: 'must be a number' }).positive().max(10_000),
    '1',
    "for tests and the soak: run the services' clock this many times faster than real time",
  ),
  // Read by the one time parser, then held as a canonical UTC ISO string (or empty).
  CLOCK_SIM_START: v(
    z.string().transform((s, ctx) => {
      if (s.trim() === '') return '';
      const t = parseIsoTime(s);
      if (t.ok) return new Date(t.ms).toISOString();
      ctx.addIssue({ code: 'custom', message: `must be an ISO 8601 time: ${t.reason}` });
      return z.NEVER;
    }),
    '',
    'for tests and the soak: the simulated time at CLOCK_REAL_START (empty: real time)',
  ),
  CLOCK_REAL_START: v(
    z.coerce.number().int().nonnegative(),
    '0',
    'for tests and the soak: wall-clock epoch ms at which the simulated clock reads CLOCK_SIM_START',
  ),
  WEB_HOST: v(z.string().min(1), '127.0.0.1', 'dashboard bind address'),
  WEB_PORT: v(port, '8080', 'dashboard port'),
  QUESTDB_CONSOLE_URL: v(
    optionalUrl,
    '',
    "the QuestDB web console as the dashboard's users reach it (its links for ad hoc SQL); empty means http://QUESTDB_HOST:QUESTDB_HTTP_PORT/",
  ),
  FAKE_API_PORT: v(port, '8099', 'port of the local fake rate APIs (`npm start -- --demo`, tests)'),
  FAKE_SEED: v(wholeNumber, '1', "seed of the fake APIs' random walk: same seed, same price for each minute"),
  FAKE_MAX_SERVED: v(
    wholeNumber,
    '20000',
    'how many served responses the fake rate APIs remember for `GET /_control/served` (oldest dropped first)',
  ),
} satisfies Record<string, Variable>;

type Vars = typeof VARIABLES;
export type VariableName = keyof Vars;
export type Config = { [K in VariableName]: z.output<Vars[K]['schema']> };

/** Variables by name, as in `process.env`. */
export type Env = Record<string, string | undefined>;

/** Thrown by `parseConfig`; its message lists every bad variable, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Parse the environment into a typed configuration, reporting every problem at once. */
export function parseConfig(env: Env): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(VARIABLES) as [VariableName, Variable][]) {
    const raw = env[name] ?? v.default;
    // Coercion alone reads '' as 0 and 0x10 as 16: a number must be written in decimal digits.
    const digits = !(v.schema instanceof z.ZodNumber) || /^\s*-?\d+(\.\d+)?\s*$/.test(raw);
    const r = v.schema.safeParse(digits ? raw : NaN);
    if (r.success) out[name] = r.data;
    else {
      const why = r.error.issues.map((i) => i.message).join('; ');
      problems.push(`${name}=${JSON.stringify(raw)}: ${why}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return withEmulator(out as Config);
}

/** While STACK_EMULATOR is on, the local emulator and its dummy credentials stand in for what is left empty. */
function withEmulator(c: Config): Config {
  if (!c.STACK_EMULATOR) return c;
  const keys = c.AWS_ACCESS_KEY_ID === '' ? { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } : {};
  return { ...c, AWS_ENDPOINT_URL: c.AWS_ENDPOINT_URL || `http://127.0.0.1:${c.MOTO_PORT}`, ...keys };
}

/** The file of settings that `npm start` and every CLI read alike, in the working directory. */
export const ENV_FILE = '.env';

/** A configured folder as an absolute path: a relative one is in the project (nearest folder with package.json). */
export function projectPath(path: string, from = fileURLToPath(new URL('.', import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return resolve(dir, path);
}

/** The variables of `dir/.env` (none when there is no such file); a name the project does not read is refused. */
export function readEnvFile(dir: string = process.cwd()): Record<string, string> {
  const path = resolve(dir, ENV_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`${path}: ${(err as Error).message}`]);
  }
  const vars = parseEnv(text) as Record<string, string>;
  // parseEnv passes over a line that is no assignment (`POLL_INTERVAL_SECONDS 5`): it would leave a default.
  const stray = text
    .split(/\r?\n/)
    .flatMap((l, i) => (/^\s*(#.*)?$|=/.test(l) ? [] : [`${path}:${i + 1}: not NAME=value`]));
  const unknown = Object.keys(vars).filter((k) => !(k in VARIABLES));
  // A setting's name cut short or run on by a letter or two (POLL_INTERVAL_SECOND) is most likely that setting.
  const near = (k: string) =>
    Object.keys(VARIABLES).find(
      (n) => Math.abs(n.length - k.length) <= 2 && (n.startsWith(k) || k.startsWith(n)),
    );
  const hint = (k: string, n = near(k)) => (n ? `; did you mean ${n}?` : '');
  const problems = unknown.map((k) => `${path}: ${k} is not a setting of this project${hint(k)}`);
  if (stray.length + problems.length > 0) throw new ConfigError([...stray, ...problems]);
  return vars;
}

/** The environment over the `.env` file: what every process of the project parses its configuration from. */
export function loadEnv(env: Env = process.env, dir = process.cwd()): Env {
  return { ...readEnvFile(dir), ...env };
}

/** Parse `env` (by default the environment over `.env`); on failure print the one message and exit with status 2. */
export function loadConfigOrExit(env?: Env): Config {
  try {
    return parseConfig(env ?? loadEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** The environment that `parseConfig` reads back as `config`: how a process hands its configuration to a child. */
export function configEnv(config: Config): Record<VariableName, string> {
  const out = {} as Record<VariableName, string>;
  for (const name of Object.keys(VARIABLES) as VariableName[]) {
    const v: unknown = config[name];
    out[name] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}
