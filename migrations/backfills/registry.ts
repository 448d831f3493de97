/** Backfills run by name from `npm run backfill -- <name> [options]`. Each owns its options and its help text. */
import type { Config } from '../../common/config.ts';
import type { Log } from '../../common/log.ts';
import { importCsv } from './import-csv.ts';
import { replayS3 } from './replay-s3.ts';
import { exportLake } from './export.ts';
import { venueCandles } from './candles.ts';

export type Backfill = {
  name: string;
  summary: string;
  usage: string;
  /** Runs the backfill; resolves to the process exit status. */
  run(args: string[], deps: { config: Config; log: Log }): Promise<number>;
};

export const BACKFILLS: Backfill[] = [importCsv, replayS3, exportLake, venueCandles];
