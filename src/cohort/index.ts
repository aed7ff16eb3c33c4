/**
 * Cohort stage: the study population, its arms and baseline covariates.
 *
 * Spreads payroll hours over calendar months first (prior work is a
 * covariate), then selects candidates, applies the population rules and
 * counts attrition step by step. SQL: sql/cohort/
 */
import type { Stage } from '../stage.js';

export const cohortStage: Stage = {
  name: 'cohort',
  reads: ['persons', 'benefit_spells', 'employment_periods', 'trajectories', 'ingested_files'],
  writes: ['person_month_work', 'cohort_candidates', 'cohort', 'attrition'],
  run: async ({ db, study }) => {
    const { population, arms, coarsening, index_window: window } = study;
    await db.runFile('cohort/01_spread_payroll_hours.sql');
    await db.runFile('cohort/02_create_band_macro.sql');
    await db.runFile('cohort/03_select_candidates.sql', {
      qualifying_benefits: population.qualifying_benefits,
      incapacity_causes: population.incapacity_causes ?? [],
      target_groups: population.target_groups ?? [],
      treated: arms.treated,
      control: arms.control,
      index_from: window.from,
      index_to: window.to,
      age_min: population.age_at_index.min,
      age_max: population.age_at_index.max,
      exclude_both_programmes: arms.both_programmes === 'exclude',
      months_after: study.follow_up.months_after,
    });
    await db.runFile('cohort/04_build_cohort.sql', {
      treated: arms.treated,
      min_hours_any: study.outcomes.min_hours_any,
      age_band_starts: coarsening.age_band_starts,
      benefit_duration_band_starts: coarsening.benefit_duration_band_starts_months,
      prior_work_band_starts: coarsening.prior_work_band_starts_months,
    });
    await db.runFile('cohort/05_count_attrition.sql', { treated: arms.treated, control: arms.control });
  },
};
