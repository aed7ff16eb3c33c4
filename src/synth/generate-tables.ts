/**
 * Generates the synthetic study world inside DuckDB, step by step.
 *
 * Every value is drawn by hashing (seed, entity number, stream name), never
 * with random() or a JS loop, so the tables are identical for a given seed
 * whatever the thread count. The steps build persons with their latent study
 * cells and life events, both potential worlds of post-index work and
 * benefits, the true effect on the treated, the rows of each delivery with
 * their bad rows, and the hazard counts.
 * Grain out: synth_delivered_<entity> (one row per delivery x clean row),
 * synth_<extract>_bad_row (one row per bad line), synth_truth_month (one row
 * per event month), synth_hazard_count (one row).
 * SQL: sql/reference/01_create_state_pension_age.sql,
 * sql/synth/00_define_macros.sql .. 18_create_healthcare_costs_bad_rows.sql
 */
import { listValue } from '@duckdb/node-api';
import { NON_COMPETITIVE_JOB_TYPES } from '../contracts/extracts.js';
import { type Database, quoteIdentifier, quoteLiteral } from '../db/database.js';
import { TRUTH_POPULATION } from './truth.js';

/** Share of rows per extract that get a corrupted extra copy (DESIGN §4: "a share of bad rows"). */
const BAD_ROW_SHARE = 0.01;

/** Calendar months a source register covers, as the first day of the first and the last month. */
export interface CoveredMonths {
  from: string;
  to: string;
}

export interface WorldParameters {
  persons: number;
  seed: number;
  /** ISO date of the last delivery: the world is cut at it. */
  extractDate: string;
  /** 1: one delivery holds every row; 2: the world as known at `firstExtractDate`, then the changes. */
  deliveries: 1 | 2;
  /** ISO date of delivery 1 (equal to `extractDate` with one delivery). */
  firstExtractDate: string;
  /** Coverage stated by the last delivery. */
  coverage: { employmentPeriods: CoveredMonths; benefitSpells: CoveredMonths };
}

export async function generateSyntheticTables(db: Database, world: WorldParameters): Promise<void> {
  await generateWorld(db, world);
  await dropTables(db, GENERATION_ONLY_TABLES);
  await generateBadRows(db, world);
  await dropTables(db, ['synth_bad_row_choice']);
}

/**
 * The world (sql/synth/01..12): its persons and their latent cells, jobs, spells and trajectories in both
 * worlds, the truth, the rows each delivery holds and the hazard counts.
 */
export async function generateWorld(db: Database, world: WorldParameters): Promise<void> {
  const { persons, seed, extractDate, deliveries, firstExtractDate, coverage } = world;
  const qualifyingBenefitTypes = listValue([...TRUTH_POPULATION.qualifyingBenefitTypes]);
  await db.runFile('reference/01_create_state_pension_age.sql');
  await db.runFile('synth/00_define_macros.sql');
  await db.runFile('synth/01_create_cell_effects.sql');
  await db.runFile('synth/02_create_persons.sql', { seed, persons });
  await db.runFile('synth/03_draw_life_events.sql', { seed });
  await db.runFile('synth/04_draw_first_jobs.sql', { seed });
  await db.runFile('synth/05_create_jobs.sql', { seed, persons, extract_date: extractDate });
  await db.runFile('synth/06_create_payroll_periods.sql', {
    seed,
    employment_coverage_from: coverage.employmentPeriods.from,
  });
  await db.runFile('synth/07_create_benefit_spells.sql', { seed, extract_date: extractDate });
  await db.runFile('synth/08_create_trajectories.sql', { seed, extract_date: extractDate });
  await db.runFile('synth/09_compute_truth.sql', {
    extract_date: extractDate,
    index_from: TRUTH_POPULATION.indexFrom,
    index_to: TRUTH_POPULATION.indexTo,
    min_age: TRUTH_POPULATION.minAge,
    max_age: TRUTH_POPULATION.maxAge,
    qualifying_benefit_types: qualifyingBenefitTypes,
    non_competitive_job_types: listValue([...NON_COMPETITIVE_JOB_TYPES]),
    look_back_months: TRUTH_POPULATION.lookBackMonths,
    follow_up_months: TRUTH_POPULATION.followUpMonths,
    employment_coverage_from: coverage.employmentPeriods.from,
    employment_coverage_to: coverage.employmentPeriods.to,
    benefit_coverage_from: coverage.benefitSpells.from,
    benefit_coverage_to: coverage.benefitSpells.to,
  });
  const split = { deliveries, first_extract_date: firstExtractDate, extract_date: extractDate };
  await db.runFile('synth/10_split_deliveries.sql', split);
  // a view holds no parameters: the world's values go in as literals (the seed and the count checked whole numbers)
  await db.run(
    'synth delivered periods',
    `create or replace view synth_delivered_period as
     select * from synth_delivered_periods(${BigInt(seed)}::bigint, ${deliveries}, ${quoteLiteral(firstExtractDate)}::date)`,
  );
  // Generated whether or not the deliveries hold the file (13 reads it); its draws are its own, so no other file depends on it.
  await db.runFile('synth/11_create_healthcare_costs.sql', { seed, ...split });
  await db.runFile('synth/12_count_hazards.sql', {
    extract_date: extractDate,
    follow_up_months: TRUTH_POPULATION.followUpMonths,
    employment_coverage_from: coverage.employmentPeriods.from,
  });
}

/** The bad copies of delivered rows (sql/synth/13..18); they read the delivered rows only. */
async function generateBadRows(db: Database, world: WorldParameters): Promise<void> {
  const { seed, extractDate, firstExtractDate } = world;
  await db.runFile('synth/13_choose_bad_rows.sql', { seed, bad_row_share: BAD_ROW_SHARE });
  const extractDates = { first_extract_date: firstExtractDate, extract_date: extractDate };
  await db.runFile('synth/14_create_persons_bad_rows.sql', { seed, ...extractDates });
  for (const file of [
    'synth/15_create_benefit_spells_bad_rows.sql',
    'synth/16_create_employment_periods_bad_rows.sql',
    'synth/17_create_trajectories_bad_rows.sql',
  ]) {
    await db.runFile(file, { seed });
  }
  await db.runFile('synth/18_create_healthcare_costs_bad_rows.sql', { seed, ...extractDates });
}

/**
 * The world's tables that only the world's own steps read: dropped before the bad rows and the extract files, which
 * read the delivered rows. At 1,000,000 persons they held most of DuckDB's memory; with them kept, writing the files
 * took about 7 s longer, with 13 s more system CPU. synth_payroll_period stays: the delivered payroll periods are a
 * view over it (sql/synth/10).
 */
const GENERATION_ONLY_TABLES = [
  'synth_cell_effect',
  'synth_person',
  'synth_life_event',
  'synth_first_job',
  'synth_job',
  'synth_benefit_spell',
  'synth_trajectory',
  'synth_truth_candidate',
];

async function dropTables(db: Database, tables: readonly string[]): Promise<void> {
  for (const table of tables) await db.run(`synth drop ${table}`, `drop table ${quoteIdentifier(table)}`);
}
