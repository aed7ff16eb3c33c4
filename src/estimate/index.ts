/**
 * Estimate stage: weighted means per arm and month over the observed
 * person-months, with matching weights taken up per month within matched
 * sets (sql/estimate/00); the matched ATT with the unadjusted difference
 * beside it, for the study and for each subgroup level; the event-study DiD
 * with its pre-trend test (event-study-did.ts), whose rows join `effects`.
 * SQL: sql/estimate/
 */
import { AMOUNT_OUTCOMES, BINARY_OUTCOMES, OUTCOMES, outcomesFor, PRIMARY_OUTCOMES } from '../config/outcomes.js';
import type { StudyConfig } from '../config/study-config.js';
import { columnPattern, type Database } from '../db/database.js';
import type { Stage } from '../stage.js';
import { NORMAL_QUANTILE_975 } from './estimators.js';
import { estimateEventStudyDid } from './event-study-did.js';

/** The matched ATT's variance follows the design: clustered by matched set (strata, pairs or sets), or by unit with replacement. */
export function varianceMethod(matching: StudyConfig['matching']): 'cluster' | 'hc0' {
  return matching.method === 'nearest' && matching.replace ? 'hc0' : 'cluster';
}

/** Step 00: which person-months enter the estimates, with their weights (the view observed_person_months). */
export async function weightObservedMonths(db: Database): Promise<void> {
  await db.runFile('estimate/00_weight_observed_months.sql');
}

/** Steps 01-03: sums, weighted means per arm and the differences (effects, subgroup_effects). */
export async function estimateDifferences(db: Database, matching: StudyConfig['matching']): Promise<void> {
  await db.runFile('estimate/01_sum_outcomes.sql', {
    outcome_pattern: columnPattern(OUTCOMES),
    binary_pattern: columnPattern(BINARY_OUTCOMES),
    amount_pattern: columnPattern(AMOUNT_OUTCOMES),
    // Subgroup levels are estimated for the primary outcomes only.
    subgroup_pattern: columnPattern(PRIMARY_OUTCOMES),
  });
  await db.runFile('estimate/02_weighted_means.sql');
  await db.runFile('estimate/03_difference_in_means.sql', {
    variance_method: varianceMethod(matching),
    exact_strata: matching.method === 'exact',
    z_975: NORMAL_QUANTILE_975,
  });
}

export const estimateStage: Stage = {
  name: 'estimate',
  reads: ['panel_person_month', 'matches', 'subgroup_matches'],
  writes: ['matched_set_months', 'outcome_sums', 'arm_means', 'effects', 'subgroup_effects', 'did_effects', 'pretrend_tests'],
  views: ['observed_person_months'],
  // The DiD's sums and batches (sql/estimate/04-15) and the differences before they join effects.
  scratch: ['did_*', 'sample_effects'],
  run: async ({ db, study }) => {
    await weightObservedMonths(db);
    await estimateDifferences(db, study.matching);
    await estimateEventStudyDid(db, { outcomes: outcomesFor('did_event_study'), referenceMonth: study.estimators.did.reference_month });
    await db.runFile('estimate/16_append_did_effects.sql');
  },
};
