/** Shared pieces of the ingest integration tests: a poller wired to the real services, and the exact checks. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../common/config.ts';
import { makeFirehose } from '../../common/aws.ts';
import { makeLogger } from '../../common/log.ts';
import type { Clock, SourceName } from '../../common/types.ts';
import { makeIlp } from '../../sql/ilp.ts';
import { makeFirehoseArchive } from '../../ingest/archive/firehose.ts';
import { parseEnvelope, type RawEnvelope } from '../../ingest/archive/envelope.ts';
import { makeDelivery } from '../../ingest/delivery.ts';
import { makeHttp } from '../../ingest/http.ts';
import { makePoller } from '../../ingest/poller.ts';
import { adapterFor } from '../../ingest/sources/index.ts';
import { makeSpool } from '../../ingest/spool.ts';
import { makeQuestdbStore, type Batch } from '../../ingest/store.ts';

export const ALL_SOURCES: SourceName[] = ['blockchain', 'coinbase', 'coingecko', 'coindesk'];

/** The fake's URL of each source, as `npm start -- --demo` configures them. */
export function fakeUrls(base: string): Record<SourceName, string> {
  return {
    blockchain: `${base}/blockchain/ticker`,
    coinbase: `${base}/coinbase/v2/exchange-rates?currency=BTC`,
    coingecko: `${base}/coingecko/api/v3/simple/price?ids=bitcoin&vs_currencies=usd,eur,gbp,jpy&include_last_updated_at=true`,
    coindesk: `${base}/coindesk/v1/bpi/currentprice.json`,
  };
}

/** A poller wired to the real QuestDB and Firehose of `config`, polling the fake at `base`. */
export async function makeTestPoller(opts: {
  config: Config;
  base: string;
  clock: Clock;
  pollerId?: string;
  sources?: SourceName[];
  spoolDir?: string;
  httpTimeoutMs?: number;
}) {
  const { config, clock } = opts;
  const log = makeLogger(`poller-${opts.pollerId ?? 'test'}`, 'silent');
  const spoolDir = opts.spoolDir ?? mkdtempSync(join(tmpdir(), 'spool-'));
  const spool = makeSpool({ dir: spoolDir, maxBytes: 50_000_000 });
  const firehose = makeFirehose(config);
  const ilp = await makeIlp(config, { retryTimeoutMs: 500, requestTimeoutMs: 3_000 });
  const store = makeQuestdbStore(ilp);
  const archive = makeFirehoseArchive({ firehose, stream: config.FIREHOSE_STREAM });
  const urls = fakeUrls(opts.base);
  const http = makeHttp({
    clock,
    connectTimeoutMs: 1_000,
    bodyTimeoutMs: opts.httpTimeoutMs ?? 2_000,
    maxBytes: 262_144,
    maxAttempts: 3,
    baseDelayMs: 1_000,
    random: () => 0.5,
  });
  const poller = makePoller({
    sources: (opts.sources ?? ALL_SOURCES).map((name) => ({
      name,
      adapter: adapterFor(name),
      url: urls[name],
      headers: {},
    })),
    http,
    archive: makeDelivery<RawEnvelope[]>({ channel: 'archive', spool, send: (b) => archive.put(b), log }),
    store: makeDelivery<Batch>({ channel: 'store', spool, send: (b) => store.write(b), log }),
    clock,
    log,
    pollerId: opts.pollerId ?? 'test',
    intervalMs: 60_000,
    knownCurrencies: new Set(),
    previous: new Map(),
  });
  return {
    poller,
    spool,
    spoolDir,
    async close() {
      await http.close();
      await ilp.close().catch(() => {});
      firehose.destroy();
      spool.close();
    },
  };
}

/** Every envelope in the bucket whose minute lies in [from, to), by id (a duplicate id would be a double). */
export async function archivedEnvelopes(
  s3: S3Client,
  config: Config,
  from: number,
  to: number,
): Promise<{ envelopes: RawEnvelope[]; duplicateIds: string[] }> {
  const envelopes: RawEnvelope[] = [];
  const seen = new Set<string>();
  const duplicateIds: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: config.RAW_BUCKET,
        Prefix: config.RAW_PREFIX,
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) {
      const text = await (
        await s3.send(new GetObjectCommand({ Bucket: config.RAW_BUCKET, Key: o.Key }))
      ).Body!.transformToString();
      for (const line of text.split('\n')) {
        if (!line) continue;
        const p = parseEnvelope(line);
        if (!p.ok) throw new Error(`${o.Key}: ${p.error}`);
        const m = Date.parse(p.envelope.minute);
        if (m < from || m >= to) continue;
        if (seen.has(p.envelope.id)) duplicateIds.push(p.envelope.id);
        seen.add(p.envelope.id);
        envelopes.push(p.envelope);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return { envelopes, duplicateIds };
}
