/** The contract between the poller and the per-API adapters: what goes in, what comes out. */
import type { Config } from '../../common/config.ts';
import type { RejectionReason, SourceName } from '../../common/types.ts';

/** One HTTP response as the client received it; header names in any case; `url` names the pair of one-pair venues. */
export type RawResponse = { status: number; headers: Record<string, string>; body: string; url?: string };

/** One accepted quote: the price of one bitcoin in `currency`. */
export type ParsedRate = {
  /** Upper-case code matching `CURRENCY_CODE`. */
  currency: string;
  /** Finite and > 0. */
  rate: number;
  /** The source's own quote time, epoch ms, when it reports one. */
  quoteTs: number | null;
};

export { REJECTION_REASONS, type RejectionReason } from '../../common/types.ts';

/** Why something was not accepted; `currency` is null when the whole poll (or its quote time) is at fault. */
export type Rejection = { currency: string | null; reason: RejectionReason; detail: string };

/** Accepted rates in payload order, and a rejection for everything else; never both empty. */
export type ParseResult = { rates: ParsedRate[]; rejections: Rejection[] };

export type SourceAdapter = {
  kind: SourceName;
  /** URL and headers of the request, from configuration (e.g. COINGECKO_API_KEY -> x-cg-demo-api-key header). */
  request(config: Config): { url: string; headers: Record<string, string> };
  /** Pure: never throws, whatever the input. */
  parse(res: RawResponse): ParseResult;
};
