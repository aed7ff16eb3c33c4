/**
 * Monitoring stage: the views IPS programmes report — the share at work
 * among persons in an active trajectory per quarter and provider, and the
 * cumulative share ever employed per arm; the binned propensity-score
 * distributions the report's figure shows; and the follow-up: how many
 * persons each month's estimates rest on, and why the others are not
 * observed. SQL: sql/monitor/
 */
import { followUpReportMonths } from '../config/study-config.js';
import type { Stage } from '../stage.js';

export const monitorStage: Stage = {
  name: 'monitor',
  reads: [
    'trajectories',
    'persons',
    'coverage_spans',
    'person_month_work',
    'panel_person_month',
    'observed_person_months',
    'sample_person_profiles',
    'sample_profile_weights',
    'pair_weighted_person_months',
    'matches',
    'cohort',
  ],
  writes: ['monitoring_quarter_provider', 'ever_employed', 'ps_distribution', 'follow_up'],
  run: async ({ db, study }) => {
    await db.runFile('monitor/01_count_active_at_work.sql', { treated: study.arms.treated });
    await db.runFile('monitor/02_count_ever_employed.sql', { months_after: study.follow_up.months_after });
    await db.runFile('monitor/03_bin_propensity_scores.sql');
    await db.runFile('monitor/04_count_follow_up.sql', {
      report_months: followUpReportMonths(study.follow_up),
      censor_control_at_treatment: study.arms.censor_control_at_treatment,
      treated: study.arms.treated,
    });
  },
};
