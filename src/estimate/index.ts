/**
 * Estimate stage: weighted means per arm and month over the observed
 * person-months, with matching weights taken up per month within matched
 * sets (sql/estimate/00); the matched ATT with the unadjusted difference
 * beside it, for the study and for each subgroup level; the event-study DiD
 * (event-study-did.ts), for the study with its pre-trend test, its rows
 * joining `effects`, and for each subgroup level estimated (the subgroup
 * outcomes, one level at a time), its rows joining `subgroup_effects`.
 * SQL: sql/estimate/
 */
import { AMOUNT_OUTCOMES, BINARY_OUTCOMES, OUTCOMES, outcomesFor, PRIMARY_OUTCOMES, subgroupOutcomesFor } from '../config/outcomes.js';
import { parseSize, type Resources, resolveResources } from '../config/resources.js';
import type { StudyConfig } from '../config/study-config.js';
import { columnPattern, type Database, quoteIdentifier } from '../db/database.js';
import type { Stage } from '../stage.js';
import { NORMAL_QUANTILE_975 } from './estimators.js';
import { type DidSample, estimateEventStudyDids, maskObservedMonths, type PanelMonths, STUDY_SAMPLE } from './event-study-did.js';

/**
 * The matched ATT's variance follows the design (sql/estimate/03): clustered by matched set (exact strata, nearest
 * neighbour's pairs or sets), or, with replacement, two-way clustered by pair and by person on the pairs' rows
 * (MatchIt's get_matches() with vcov = ~subclass + id, after Austin & Cafri 2020).
 */
export function varianceMethod(matching: StudyConfig['matching']): 'cluster' | 'pair_and_person' {
  return matching.method === 'nearest' && matching.replace ? 'pair_and_person' : 'cluster';
}

/**
 * Step 00: each panel person's observed months as a mask (did_observed_months, which the DiD reads too), the
 * matched-set weight rule, then which person-months enter the estimates, with their weights (the view
 * observed_person_months), and every sample's persons by profile with the profiles' weights per month, which the
 * sums here and in the monitor and disclosure stages read. Returns the panel's months, the masks' range.
 */
export async function weightObservedMonths(db: Database): Promise<PanelMonths> {
  const panelMonths = await maskObservedMonths(db);
  await db.runFile('estimate/00_define_set_month_weight.sql');
  await db.runFile('estimate/00_weight_observed_months.sql', { first_month: panelMonths.firstMonth, last_month: panelMonths.lastMonth });
  await profileSamplePersons(db, panelMonths);
  return panelMonths;
}

/** Every sample's persons by profile and the profiles' weights per month (sample_person_profiles, sample_profile_weights). */
export async function profileSamplePersons(db: Database, panelMonths: PanelMonths): Promise<void> {
  await db.runFile('estimate/00_profile_sample_persons.sql', { first_month: panelMonths.firstMonth, last_month: panelMonths.lastMonth });
}

/** Below this, an amount's square in cents fits a BIGINT: (30,000,000 x 100)^2 < 2^63. */
export const BIGINT_SQUARE_AMOUNT_LIMIT = 30_000_000;

/**
 * Defines cents_squared for 01_sum_outcomes.sql: a BIGINT product when every amount outcome of the panel lies
 * below BIGINT_SQUARE_AMOUNT_LIMIT, else a HUGEINT one (the file says why).
 */
export async function defineCentsSquared(db: Database): Promise<void> {
  const [{ largest }] = (await db.query<{ largest: number | null }>(
    'estimate: largest amount',
    `select greatest(${AMOUNT_OUTCOMES.map((outcome) => `max(abs(${quoteIdentifier(outcome)}))`).join(', ')})::double as largest
     from panel_person_month`,
  )) as [{ largest: number | null }];
  await db.runFile(
    (largest ?? 0) < BIGINT_SQUARE_AMOUNT_LIMIT ? 'estimate/01_square_cents_in_bigint.sql' : 'estimate/01_square_cents_in_hugeint.sql',
  );
}

/**
 * A sample whose matched sets are many has sums that grow with its persons, not with its profiles: a row per set's
 * arm and month under nearest-neighbour matching, a row per pair member and month with replacement. Such a sample is
 * summed a range of event months at a time: at most this many of its sums' rows (sql/estimate/01_count_sums_rows.sql)
 * per statement for each byte of DuckDB's memory limit. 1,000,000 persons with replacement: the study's sample,
 * summed whole, ran out of DuckDB's 2 GiB under a 4GB cap, and so did 60,000 persons under 1GB (DuckDB 418 MiB); so,
 * in ranges, both published, within 3,247 and 858 MiB (docs/scale-history.md). Exact matching's strata stay one range.
 */
const SUMS_ROWS_PER_BYTE = 1 / 1024;

/**
 * The sums' rows one statement takes (SUMS_ROWS_PER_BYTE) under the run's DuckDB memory limit (without resources, in
 * tests, the machine's default); a month's rows are never split.
 */
export function sumsRowsPerRange(resources: Resources | undefined): number {
  return Math.floor(parseSize((resources ?? resolveResources({}, '.')).duckdbMemoryLimit) * SUMS_ROWS_PER_BYTE);
}

/** A sample's event months from..to (inclusive), summed by one statement. */
export interface MonthRange {
  from: number;
  to: number;
}

/**
 * Consecutive ranges of the panel's months, together all of them, each holding at most `rowsPerRange` rows of
 * `rowsByMonth` unless one month alone holds more (it is a range of its own).
 */
export function monthRanges(panelMonths: PanelMonths, rowsByMonth: ReadonlyMap<number, number>, rowsPerRange: number): MonthRange[] {
  const ranges: MonthRange[] = [];
  let range: MonthRange | undefined;
  let rows = 0;
  for (let month = panelMonths.firstMonth; month <= panelMonths.lastMonth; month++) {
    const monthRows = rowsByMonth.get(month) ?? 0;
    if (range && rows + monthRows > rowsPerRange) {
      ranges.push(range);
      range = undefined;
    }
    if (!range) {
      range = { from: month, to: month };
      rows = 0;
    }
    range.to = month;
    rows += monthRows;
  }
  if (range) ranges.push(range);
  return ranges;
}

/** Per sample and event month, the rows its sums group (sql/estimate/01_count_sums_rows.sql). */
export type SumsRows = (DidSample & { event_month: number; sums_rows: number })[];

export function countSumsRows(db: Database): Promise<SumsRows> {
  return db.queryFile('estimate/01_count_sums_rows.sql');
}

/** A sample's ranges of event months (monthRanges), from its rows in `sumsRows`. */
export function sampleMonthRanges(sumsRows: SumsRows, sample: DidSample, panelMonths: PanelMonths, rowsPerRange: number): MonthRange[] {
  const rowsByMonth = new Map(
    sumsRows.filter((row) => row.subgroup === sample.subgroup && row.level === sample.level).map((row) => [row.event_month, row.sums_rows]),
  );
  return monthRanges(panelMonths, rowsByMonth, rowsPerRange);
}

/**
 * Steps 01-03, one sample at a time (the study's, then each subgroup level's), each a range of event months at a
 * time (at most `rowsPerRange` rows of its sums, from sumsRowsPerRange(); one range unless its sets are many):
 * its sums, its weighted means per arm and its differences, all per event month, so a range's are the same rows
 * whatever the ranges; then every sample's differences split into effects and subgroup_effects.
 */
export async function estimateDifferences(
  db: Database,
  matching: StudyConfig['matching'],
  panelMonths: PanelMonths,
  rowsPerRange: number,
): Promise<void> {
  // Subgroup levels are estimated for the primary outcomes only.
  const subgroupPattern = columnPattern(PRIMARY_OUTCOMES);
  // The levels' person-months summed once for all levels, then one sample per statement (sql/estimate/01 says
  // why): the study's, then every subgroup level with matched persons (a level matched with replacement has its
  // pairs' persons in subgroup_matches too).
  await db.runFile('estimate/01_sum_level_profile_group_months.sql', { subgroup_pattern: subgroupPattern });
  await defineCentsSquared(db);
  const levels = await db.query<DidSample>(
    'estimate: subgroup samples',
    "select distinct subgroup, level from sample_weightings where subgroup <> '' order by subgroup, level",
  );
  const sumsRows = await countSumsRows(db);
  await db.run('estimate: drop arm_means and sample_effects', 'drop table if exists arm_means; drop table if exists sample_effects');
  for (const sample of [STUDY_SAMPLE, ...levels]) {
    for (const range of sampleMonthRanges(sumsRows, sample, panelMonths, rowsPerRange)) {
      // outcome_sums holds one sample's sums (of a range of months), so the memory they take follows the largest,
      // not all of them: at 60,000 persons every sample's are 2.9 M rows, held uncompressed until a checkpoint;
      // the study's 1.1 M.
      await db.run('estimate: drop outcome_sums', 'drop table if exists outcome_sums');
      await db.runFile('estimate/01_sum_outcomes.sql', {
        ...sample,
        first_month: range.from,
        last_month: range.to,
        outcome_pattern: columnPattern(OUTCOMES),
        binary_pattern: columnPattern(BINARY_OUTCOMES),
        amount_pattern: columnPattern(AMOUNT_OUTCOMES),
        subgroup_pattern: subgroupPattern,
        sample_pattern: columnPattern(sample.subgroup === '' ? OUTCOMES : PRIMARY_OUTCOMES),
      });
      await db.runFile('estimate/02_weighted_means.sql', { ...sample });
      await db.runFile('estimate/03_difference_in_means.sql', {
        ...sample,
        variance_method: varianceMethod(matching),
        exact_strata: matching.method === 'exact',
        z_975: NORMAL_QUANTILE_975,
      });
    }
  }
  await db.run('estimate: drop profile group sums', 'drop table level_profile_group_months; drop table level_profile_groups');
  await db.runFile('estimate/03_write_effects.sql');
}

/**
 * Steps 04-13: the event-study DiD of the study's matched sample (every
 * outcome it applies to), then of each subgroup level with status
 * 'estimated' (the subgroup outcomes), in subgroup and level order; each
 * sample's rows are kept in did_sample_effects (13) for
 * appendEventStudyEffects. `besideStream` is started when the DiD's stream
 * has its first chunk (StreamOptions.besideStream).
 */
export async function estimateEventStudies(
  db: Database,
  did: StudyConfig['estimators']['did'],
  panelMonths: PanelMonths,
  besideStream?: () => Promise<void>,
): Promise<void> {
  const levels = await db.query<DidSample>(
    'estimate: subgroup levels estimated',
    "select subgroup, level from subgroups where status = 'estimated' order by subgroup, level",
  );
  await db.run('estimate: drop did_sample_effects', 'drop table if exists did_sample_effects');
  await estimateEventStudyDids(
    db,
    [
      { sample: STUDY_SAMPLE, outcomes: outcomesFor('did_event_study') },
      ...levels.map((sample) => ({ sample, outcomes: subgroupOutcomesFor('did_event_study') })),
    ],
    {
      referenceMonth: did.reference_month,
      panelMonths,
      besideStream,
      afterEach: () => db.runFile('estimate/13_keep_did_effects.sql'),
    },
  );
}

/** Step 14: every sample's DiD rows join effects or subgroup_effects, which steps 01-03 create. */
export async function appendEventStudyEffects(db: Database): Promise<void> {
  await db.runFile('estimate/14_append_did_effects.sql');
}

export const estimateStage: Stage = {
  name: 'estimate',
  reads: ['panel_person_month', 'matches', 'subgroup_matches', 'match_pairs', 'subgroup_match_pairs', 'subgroups'],
  writes: [
    'matched_set_months',
    'sample_person_profiles',
    'sample_profile_weights',
    'arm_means',
    'effects',
    'subgroup_effects',
    'pretrend_tests',
  ],
  views: [
    'pair_member_months',
    'pair_person_month_weights',
    'observed_pair_months',
    'paired_samples',
    'sample_weightings',
    'sample_person_months',
    'observed_person_months',
    'pair_weighted_person_months',
  ],
  // The DiD's sums (sql/estimate/04-13), each sample's DiD rows (did_effects, did_sample_effects), the subgroup
  // levels' profile groups and their sums (01), one sample's sums (outcome_sums, the last dropped at the stage's
  // end), weighted means (sample_arm_means) and differences (sample_differences), and every sample's differences
  // (sample_effects) before they join effects or subgroup_effects.
  scratch: [
    'did_*',
    'level_profile_groups',
    'level_profile_group_months',
    'outcome_sums',
    'sample_arm_means',
    'sample_differences',
    'sample_effects',
  ],
  run: async ({ db, study, resources }) => {
    const panelMonths = await weightObservedMonths(db);
    const rowsPerRange = sumsRowsPerRange(resources);
    // What the stages before made is compressed here, before the sibling starts, not at whichever commit of the
    // DiD's fits DuckDB would choose (Database.checkpointRunCatalog); the stream and the sums then read compressed
    // tables. 60,000 persons: peak 898-983 MiB in five runs against 921-1,246 in five; 1,000,000: the checkpoint
    // 27.8 s, the stage 97.4 s against 103.8 s (the checkpoint 11.8-12.9 s in four later runs; 1.2-1.3 s since the
    // panel stage compresses its chunks as it makes them).
    await db.checkpointRunCatalog('estimate: compress the run catalog');
    // The differences run on a sibling connection, started once the DiD's stream has its first chunk, while the
    // stream is summed in JavaScript on one core and then while the samples' fits run (small SQL statements and
    // K x K algebra), when DuckDB's threads would otherwise wait. The tables they write are apart until the DiD's
    // rows join effects, after both settle. Each statement's result does not depend on what runs beside it.
    const sibling = await db.sibling();
    let differences: Promise<void> | undefined;
    try {
      await estimateEventStudies(db, study.estimators.did, panelMonths, async () => {
        differences ??= estimateDifferences(sibling, study.matching, panelMonths, rowsPerRange);
        // awaited below, after the fits: a failure meanwhile is not left unhandled
        differences.catch(() => {});
      });
      await (differences ?? estimateDifferences(sibling, study.matching, panelMonths, rowsPerRange));
      await appendEventStudyEffects(db);
      // no later stage reads the last sample's sums: they leave the memory the stages after share
      await db.run('estimate: drop outcome_sums', 'drop table outcome_sums');
    } finally {
      await differences?.catch(() => {});
      sibling.close();
    }
  },
};
