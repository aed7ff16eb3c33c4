/**
 * Estimate stage: weighted means per arm and month; the matched ATT with the
 * unadjusted difference beside it, for the study and for each subgroup level; the event-study DiD with its pre-trend
 * test (event-study-did.ts), whose rows join `effects`. SQL: sql/estimate/
 */
import type { StudyConfig } from '../config/study-config.js';
import type { Stage } from '../stage.js';
import { estimateEventStudyDid } from './event-study-did.js';

/** The matched ATT's variance follows the design: strata, matched sets, or single units. */
export function varianceMethod(matching: StudyConfig['matching']): 'stratified' | 'cluster' | 'hc0' {
  if (matching.method === 'exact') return 'stratified';
  return matching.replace ? 'hc0' : 'cluster';
}

export const estimateStage: Stage = {
  name: 'estimate',
  reads: ['panel_person_month', 'matches', 'subgroup_matches'],
  writes: ['outcome_sums', 'arm_means', 'effects', 'subgroup_effects', 'did_effects', 'pretrend_tests', 'money_dominance'],
  run: async ({ db, study }) => {
    await db.runFile('estimate/01_sum_outcomes.sql');
    await db.runFile('estimate/02_weighted_means.sql');
    await db.runFile('estimate/03_difference_in_means.sql', { variance_method: varianceMethod(study.matching) });
    await estimateEventStudyDid(db, { outcomes: ['employed_any', 'employed_48h'], referenceMonth: -1 });
    await db.runFile('estimate/16_append_did_effects.sql');
    await db.runFile('estimate/17_measure_money_dominance.sql', { top_persons: study.disclosure.dominance.top_persons });
  },
};
