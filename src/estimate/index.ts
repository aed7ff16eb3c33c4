/**
 * Estimate stage: weighted means per arm and month over the observed
 * person-months, with matching weights taken up per month within matched
 * sets (sql/estimate/00); the matched ATT with the unadjusted difference
 * beside it, for the study and for each subgroup level; the event-study DiD
 * with its pre-trend test (event-study-did.ts), whose rows join `effects`.
 * SQL: sql/estimate/
 */
import { BINARY_OUTCOMES, MONEY_OUTCOMES, OUTCOMES, type StudyConfig } from '../config/study-config.js';
import { columnPattern, type Database } from '../db/database.js';
import type { Stage } from '../stage.js';
import { estimateEventStudyDid } from './event-study-did.js';

/** Subgroup levels are estimated for the employment outcomes only. */
const SUBGROUP_OUTCOMES = ['employed_any', 'employed_48h'] as const;

/** The matched ATT's variance follows the design: strata, matched sets, or single units. */
export function varianceMethod(matching: StudyConfig['matching']): 'stratified' | 'cluster' | 'hc0' {
  if (matching.method === 'exact') return 'stratified';
  return matching.replace ? 'hc0' : 'cluster';
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
    amount_pattern: columnPattern(OUTCOMES.filter((outcome) => !(BINARY_OUTCOMES as readonly string[]).includes(outcome))),
    subgroup_pattern: columnPattern(SUBGROUP_OUTCOMES),
  });
  await db.runFile('estimate/02_weighted_means.sql');
  await db.runFile('estimate/03_difference_in_means.sql', { variance_method: varianceMethod(matching) });
}

/** Step 17: how much of each money total the largest persons hold, for the dominance rule. */
export async function measureMoneyDominance(db: Database, topPersons: number): Promise<void> {
  await db.runFile('estimate/17_measure_money_dominance.sql', { money_pattern: columnPattern(MONEY_OUTCOMES), top_persons: topPersons });
}

export const estimateStage: Stage = {
  name: 'estimate',
  reads: ['panel_person_month', 'matches', 'subgroup_matches'],
  writes: [
    'matched_set_months',
    'outcome_sums',
    'arm_means',
    'effects',
    'subgroup_effects',
    'did_effects',
    'pretrend_tests',
    'money_dominance',
  ],
  views: ['observed_person_months'],
  run: async ({ db, study }) => {
    await weightObservedMonths(db);
    await estimateDifferences(db, study.matching);
    await estimateEventStudyDid(db, { outcomes: ['employed_any', 'employed_48h'], referenceMonth: -1 });
    await db.runFile('estimate/16_append_did_effects.sql');
    await measureMoneyDominance(db, study.disclosure.dominance.top_persons);
  },
};
