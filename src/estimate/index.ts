/**
 * Estimate stage: weighted means per arm and month, and the matched ATT
 * with the unadjusted difference beside it. SQL: sql/estimate/
 */
import type { Stage } from '../stage.js';

export const estimateStage: Stage = {
  name: 'estimate',
  reads: ['panel_person_month', 'matches'],
  writes: ['outcome_sums', 'arm_means', 'effects'],
  run: async ({ db }) => {
    await db.runFile('estimate/01_sum_outcomes.sql');
    await db.runFile('estimate/02_weighted_means.sql');
    await db.runFile('estimate/03_difference_in_means.sql');
  },
};
