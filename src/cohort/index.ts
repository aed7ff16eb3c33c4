/**
 * Cohort stage: the study population, its arms and baseline covariates,
 * and when each person stops being observed.
 *
 * Spreads payroll hours over calendar months first (prior work is a
 * covariate), merges qualifying benefit spells into episodes (the benefit
 * duration runs from the episode's start), selects candidates with every
 * fact known at the index date, applies the population rules and counts
 * attrition step by step. The state-pension (AOW) age table comes from
 * sql/reference/. SQL: sql/cohort/
 */
import { COVARIATE_LOOKBACK_MONTHS, type StudyConfig } from '../config/study-config.js';
import { BENEFIT_TYPES, NON_COMPETITIVE_JOB_TYPES } from '../contracts/extracts.js';
import type { Stage } from '../stage.js';

/** The payroll spread's parameters (sql/cohort/01): the jobs that are not competitive, the outcomes' hours thresholds. */
export function payrollSpreadParams(outcomes: StudyConfig['outcomes']) {
  return {
    non_competitive_job_types: [...NON_COMPETITIVE_JOB_TYPES],
    min_hours_any: outcomes.min_hours_any,
    min_hours_48h: outcomes.min_hours_48h,
  };
}

export const cohortStage: Stage = {
  name: 'cohort',
  reads: ['persons', 'benefit_spells', 'employment_periods', 'trajectories', 'healthcare_costs', 'ingested_files', 'coverage_spans'],
  writes: ['state_pension_month', 'person_month_work', 'qualifying_spell_episodes', 'cohort_candidates', 'cohort', 'attrition'],
  // The statutory table behind state_pension_month (sql/reference/01).
  scratch: ['state_pension_age'],
  run: async ({ db, study }) => {
    const { population, arms, coarsening, follow_up: followUp, index_window: window } = study;
    await db.runFile('reference/01_create_state_pension_age.sql');
    await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(study.outcomes));
    await db.runFile('cohort/02_create_band_macro.sql');
    await db.runFile('cohort/03_merge_benefit_episodes.sql', {
      qualifying_benefits: population.qualifying_benefits,
      episode_gap_days: population.episode_gap_days,
    });
    await db.runFile('cohort/04_select_candidates.sql', {
      incapacity_causes: population.incapacity_causes ?? [],
      target_groups: population.target_groups ?? [],
      benefit_type_order: [...BENEFIT_TYPES],
      treated: arms.treated,
      control: arms.control,
      same_day_rule: arms.same_day,
      exclude_both_programmes: arms.both_programmes === 'exclude',
      index_from: window.from,
      index_to: window.to,
      age_min: population.age_at_index.min,
      age_max: population.age_at_index.max,
      lookback_months: Math.max(COVARIATE_LOOKBACK_MONTHS, followUp.months_before),
      months_after: followUp.months_after,
      state_pension_rule: followUp.state_pension_age,
    });
    await db.runFile('cohort/05_build_cohort.sql', {
      treated: arms.treated,
      months_after: followUp.months_after,
      censor_control_at_treatment: arms.censor_control_at_treatment,
      age_band_starts: coarsening.age_band_starts,
      benefit_duration_band_starts: coarsening.benefit_duration_band_starts_months,
      prior_work_band_starts: coarsening.prior_work_band_starts_months,
    });
    await db.runFile('cohort/06_count_attrition.sql', {
      treated: arms.treated,
      control: arms.control,
      same_day_rule: arms.same_day,
      state_pension_rule: followUp.state_pension_age,
      incapacity_causes: population.incapacity_causes ?? [],
      target_groups: population.target_groups ?? [],
      exclude_both_programmes: arms.both_programmes === 'exclude',
    });
    // What this stage made (person_month_work above all: a row per person and month worked) is compressed here, while
    // no other stage runs. Left to the panel's first checkpoint, that one was refused while match wrote, and a later
    // one compressed it all while match or subgroups waited on it; the panel's chunks read it uncompressed meanwhile.
    // 1,000,000 persons, the stages after ingest, four runs with this checkpoint and four without: it takes 3.3-4.7 s;
    // the panel stage 42.7-54.3 s against 51.0-64.0 s, its longest checkpoint 0.8-1.1 s against 3.9-12.4 s; cohort
    // and panel together 72.4 s against 76.4 s (medians; docs/scale-history.md).
    await db.checkpointRunCatalog('cohort: compress the run catalog');
  },
};
