/**
 * The two targets of issue 13 that name a part of the work, not a whole run,
 * timed after the 1,000,000-person run of `make bench`:
 * - the event-study DiD of every sample (the study's and each subgroup
 *   level's) again, on a copy of the run's warehouse (not in a transaction
 *   rolled back: the DiD reads its samples' memberships on a sibling
 *   connection, which sees only what is committed), under the run's DuckDB
 *   threads and memory limit. The file keeps only what was delivered (the
 *   run's own tables were in memory), so the stages before the estimate are
 *   run again on the copy first, untimed, and its in-memory tables
 *   compressed (a checkpoint) before the clock starts;
 * - `ipslink match` of 20,000 treated against 1,000,000 candidate controls
 *   (nearest neighbour on the logit PS of five covariates, caliper 0.2 SD),
 *   on a CSV made from hashes (the same file every time), in its own process.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { studyPipeline } from '../pipelines/study.js';
import type { StudyConfig } from '../src/config/study-config.js';
import { Database, quoteLiteral } from '../src/db/database.js';
import { maskObservedMonths } from '../src/estimate/event-study-did.js';
import { estimateEventStudies, estimateStage, weightObservedMonths } from '../src/estimate/index.js';
import { runStage } from '../src/stage.js';

/** The size whose run is followed by these timings. */
export const COMPONENT_PERSONS = 1_000_000;

export interface ComponentTimes {
  did_seconds: number;
  /** Person-months the DiD of the study's matched sample rests on (each subgroup level adds its own). */
  did_study_person_months: number;
  did_samples: number;
  match_seconds: number;
  match_treated: number;
  match_controls: number;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

export async function timeComponents(
  warehouse: string,
  study: StudyConfig,
  resources: { threads: number; duckdb_memory_limit: string },
  work: string,
): Promise<ComponentTimes> {
  return { ...(await timeDid(warehouse, study, resources, work)), ...(await timeMatching(work)) };
}

async function timeDid(warehouse: string, study: StudyConfig, resources: { threads: number; duckdb_memory_limit: string }, work: string) {
  const copy = join(work, 'did-warehouse.duckdb');
  copyFileSync(warehouse, copy);
  const db = await Database.open(copy, { threads: resources.threads, memoryLimit: resources.duckdb_memory_limit });
  try {
    await db.attachRunCatalog();
    const context = { db, study, runId: 'bench', landing: work };
    const before = studyPipeline.slice(0, studyPipeline.indexOf(estimateStage)).filter((stage) => !stage.keptBetweenRuns);
    for (const stage of before) await runStage(stage, context);
    await weightObservedMonths(db);
    const [counts] = await db.query<{ person_months: number; levels: number }>(
      'bench: did sample',
      `select
           (select count(*) from observed_person_months where subgroup = '' and weighting = 'matched')::double as person_months,
           (select count(*) from subgroups where status = 'estimated')::integer as levels`,
    );
    // The stages just run leave the run catalog's tables uncompressed: compressed first, untimed, as the estimate
    // stage does before its DiD, so the time is the DiD's own (else a commit inside the DiD waits for it: 17.0 s at
    // 1,000,000 persons, in the appender's commit of one sample's sums).
    await db.checkpointRunCatalog('bench: checkpoint run catalog');
    const started = performance.now();
    // the observed months' masks are step 00's, made before the DiD in a run; timed with it here
    await estimateEventStudies(db, study.estimators.did, await maskObservedMonths(db));
    const didSeconds = seconds(started);
    return { did_seconds: didSeconds, did_study_person_months: counts!.person_months, did_samples: 1 + counts!.levels };
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

const TREATED = 20_000;
const CONTROLS = 1_000_000;

async function timeMatching(work: string) {
  const input = join(work, 'match-input.csv');
  const db = await Database.open(':memory:');
  try {
    // Five covariates from hashes of the row number; treatment more likely with higher a and b.
    await db.run(
      'bench: match input',
      `copy (
           with units as (
               -- hashes of distinct strings: hash(i, k) for several k share their low bits
               select i,
                   (hash('a' || i) % 1000) / 1000.0 as a,
                   (hash('b' || i) % 1000) / 1000.0 as b,
                   (hash('c' || i) % 1000) / 1000.0 as c,
                   (hash('d' || i) % 2) as d,
                   ['north', 'east', 'south', 'west'][(hash('region' || i) % 4)::integer + 1] as region
               from range(${TREATED + CONTROLS}) as t(i)
           )
           select 'u' || i as id,
               (row_number() over (order by a + b + hash('noise' || i) % 1000 / 1000.0 desc, i) <= ${TREATED})::integer as treated,
               a, b, c, d, region
           from units order by i
       ) to ${quoteLiteral(input)} (header)`,
    );
  } finally {
    db.close();
  }
  const started = performance.now();
  execFileSync(
    process.execPath,
    [
      'bin/ipslink.js',
      'match',
      '--input',
      input,
      '--treatment',
      'treated',
      '--covariates',
      'a,b,c,d,region',
      '--caliper',
      '0.2',
      '--out',
      join(work, 'match-output.csv'),
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 2] },
  );
  return { match_seconds: seconds(started), match_treated: TREATED, match_controls: CONTROLS };
}
