/**
 * Generates the synthetic study world inside DuckDB, step by step.
 *
 * Every value is drawn by hashing (seed, entity number, stream name), never
 * with random() or a JS loop, so the tables are identical for a given seed
 * whatever the thread count. The steps build persons with their latent study
 * cells, both potential worlds of post-index work, the observed extracts with
 * their bad rows, and the true effect on the treated.
 * Grain out: synth_<extract>_file (one row per line to write) and
 * synth_truth_month (one row per event month).
 * SQL: sql/synth/00_define_macros.sql .. 13_define_extract_files.sql
 */
import { listValue } from '@duckdb/node-api';
import { NON_COMPETITIVE_JOB_TYPES } from '../contracts/extracts.js';
import type { Database } from '../db/database.js';
import { TRUTH_POPULATION } from './truth.js';

/** Share of rows per extract that get a corrupted extra copy (DESIGN §4: "a share of bad rows"). */
const BAD_ROW_SHARE = 0.01;

export interface WorldParameters {
  persons: number;
  seed: number;
  /** ISO date: jobs, spells and trajectories are cut at it. */
  extractDate: string;
}

export async function generateSyntheticTables(db: Database, world: WorldParameters): Promise<void> {
  const { persons, seed, extractDate } = world;
  await db.runFile('synth/00_define_macros.sql');
  await db.runFile('synth/01_create_cell_effects.sql');
  await db.runFile('synth/02_create_persons.sql', { seed, persons });
  await db.runFile('synth/03_draw_first_jobs.sql', { seed });
  await db.runFile('synth/04_create_jobs.sql', { seed, persons, extract_date: extractDate });
  await db.runFile('synth/05_create_payroll_periods.sql', { seed });
  await db.runFile('synth/06_create_benefit_spells.sql', { seed, extract_date: extractDate });
  await db.runFile('synth/07_create_trajectories.sql', { seed, extract_date: extractDate });
  await db.runFile('synth/08_compute_truth.sql', {
    index_from: TRUTH_POPULATION.indexFrom,
    index_to: TRUTH_POPULATION.indexTo,
    min_age: TRUTH_POPULATION.minAge,
    max_age: TRUTH_POPULATION.maxAge,
    qualifying_benefit_types: listValue([...TRUTH_POPULATION.qualifyingBenefitTypes]),
    non_competitive_job_types: listValue([...NON_COMPETITIVE_JOB_TYPES]),
    follow_up_months: TRUTH_POPULATION.followUpMonths,
  });
  for (const file of [
    'synth/09_create_persons_bad_rows.sql',
    'synth/10_create_benefit_spells_bad_rows.sql',
    'synth/11_create_employment_periods_bad_rows.sql',
    'synth/12_create_trajectories_bad_rows.sql',
  ]) {
    await db.runFile(file, { seed, bad_row_share: BAD_ROW_SHARE });
  }
  await db.runFile('synth/13_define_extract_files.sql');
}
