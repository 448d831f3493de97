/** The jobs the scheduler runs. A job's name is its key in `job_runs`: never rename one that has run. */
import type { Clock } from '../common/types.ts';
import type { Config } from '../common/config.ts';
import type { Log } from '../common/log.ts';
import type { Db } from '../sql/db.ts';
import type { Ilp } from '../sql/ilp.ts';
import { makeScoringJob } from '../forecast/scoring.ts';
import { makeFirehose } from '../common/firehose.ts';
import { makeSpoolHousekeepingJob } from './spool-housekeeping.ts';
import { makeBacktestJob } from './backtest.ts';
import type { Job } from './runner.ts';
import { makeViewHealthJob } from './view-health.ts';
import { makeGapRepairJob } from './gap-repair.ts';
import { makeLakeExportJob } from './lake-export.ts';
import { makeS3 } from '../common/aws.ts';
import { makeExporter } from '../lake/export.ts';

export type JobDeps = { db: Db; ilp: Ilp; clock: Clock; log: Log; config: Config };

export function makeJobs(deps: JobDeps): Job[] {
  return [
    makeViewHealthJob(deps),
    makeScoringJob(deps),
    makeBacktestJob(deps),
    makeSpoolHousekeepingJob({ ...deps, firehose: makeFirehose(deps.config) }),
    makeGapRepairJob(deps),
    makeLakeExportJob({ db: deps.db, exporter: makeExporter({ ...deps, s3: makeS3(deps.config) }) }),
  ];
}
