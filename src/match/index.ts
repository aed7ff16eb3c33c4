/**
 * Match stage: matches the cohort (exact strata, or nearest neighbour on the
 * logit of a logistic PS) with the engine in match-units.ts, writes
 * `matches`, the covariate balance before and after (balance-statistics.ts,
 * MatchIt's conventions) and the matched step of the attrition table.
 *
 * The cohort is read in person_id order: that is the canonical order every
 * tie-break follows, so the result never depends on row order. One row per
 * person crosses into JS, as typed arrays.
 */
import { BALANCE_COVARIATES, type StudyConfig } from '../config/study-config.js';
import type { Database } from '../db/database.js';
import { fail } from '../errors.js';
import type { Stage } from '../stage.js';
import { balanceFeatures, computeBalance, SMD_DENOMINATOR, type BalanceRow } from './balance-statistics.js';
import { type CohortUnits, readCohortUnits } from './cohort-units.js';
import { matchUnits, type UnitMatching } from './match-units.js';

export interface CohortMatching {
  result: UnitMatching;
  balance: BalanceRow[];
  /** Per balance row: persons treated and control before, then after matching. */
  persons: [number, number, number, number][];
}

/** Matches cohort units with the study's settings on the given covariates, and measures the balance. */
export function matchCohortUnits(
  units: CohortUnits,
  matching: StudyConfig['matching'],
  covariates: { exact: readonly string[]; ps: readonly string[] } = { exact: matching.exact, ps: matching.ps_covariates },
): CohortMatching {
  const { treated } = units;
  const result = matchUnits(treated, {
    method: matching.method,
    exactCovariates: covariates.exact.map(units.covariate),
    psCovariates: covariates.ps.map(units.covariate),
    ratio: matching.ratio,
    caliperSd: matching.caliper_sd_logit,
    replace: matching.replace,
    order: matching.order,
  });
  const features = balanceFeatures(BALANCE_COVARIATES.map(units.covariate));
  const persons = features.map((feature): [number, number, number, number] => {
    const counts: [number, number, number, number] = [0, 0, 0, 0];
    feature.values.forEach((value, unit) => {
      if (feature.level !== null && value !== 1) return;
      const [before, after] = treated[unit] === 1 ? ([0, 2] as const) : ([1, 3] as const);
      counts[before] += 1;
      if (result.weights[unit]! > 0) counts[after] += 1;
    });
    return counts;
  });
  return { result, balance: computeBalance(features, treated, result.weights), persons };
}

/** Whether any treated unit has a matching weight above zero. */
export function anyTreatedMatched(units: CohortUnits, result: UnitMatching): boolean {
  return result.weights.some((weight, unit) => weight > 0 && units.treated[unit] === 1);
}

async function writeBalance(db: Database, rows: BalanceRow[], counts: readonly number[][]): Promise<void> {
  await db.run(
    'match: balance table',
    `create or replace table balance (
        covariate varchar, level varchar, is_binary boolean,
        mean_treated_before double, mean_control_before double, smd_before double, variance_ratio_before double, ecdf_max_before double,
        mean_treated_after double, mean_control_after double, smd_after double, variance_ratio_after double, ecdf_max_after double,
        persons_treated_before integer, persons_control_before integer, persons_treated_after integer, persons_control_after integer,
        smd_denominator varchar)`,
  );
  const rounded = (value: number | null) => (value === null || !Number.isFinite(value) ? null : Math.round(value * 1e10) / 1e10);
  const column = (pick: (row: BalanceRow) => number | null) => rows.map((row) => rounded(pick(row)));
  await db.appendColumns('balance', [
    { type: 'VARCHAR', values: rows.map((row) => row.covariate) },
    { type: 'VARCHAR', values: rows.map((row) => row.level ?? '') },
    { type: 'INTEGER', values: rows.map((row) => (row.isBinary ? 1 : 0)) },
    ...(['before', 'after'] as const).flatMap((sample) => [
      { type: 'DOUBLE' as const, values: column((row) => row[sample].meanTreated) },
      { type: 'DOUBLE' as const, values: column((row) => row[sample].meanControl) },
      { type: 'DOUBLE' as const, values: column((row) => row[sample].smd) },
      { type: 'DOUBLE' as const, values: column((row) => row[sample].varianceRatio) },
      { type: 'DOUBLE' as const, values: column((row) => row[sample].ecdfMax) },
    ]),
    ...[0, 1, 2, 3].map((index) => ({ type: 'INTEGER' as const, values: counts.map((count) => count[index]!) })),
    { type: 'VARCHAR', values: rows.map(() => SMD_DENOMINATOR) },
  ]);
}

async function matchCohort(db: Database, study: StudyConfig): Promise<void> {
  const { matching } = study;
  const cohort = await readCohortUnits(db, [...new Set([...matching.exact, ...matching.ps_covariates, ...BALANCE_COVARIATES])]);
  const treatedCount = cohort.treated.reduce((sum, value) => sum + value, 0);
  if (treatedCount === 0) fail({ code: 'empty_arm', arm: study.arms.treated, step: 'the population rules' });
  if (treatedCount === cohort.treated.length) fail({ code: 'empty_arm', arm: study.arms.control, step: 'the population rules' });

  const { result, balance, persons } = matchCohortUnits(cohort, matching);
  if (!anyTreatedMatched(cohort, result)) {
    fail({ code: 'match_none', method: matching.method, reason: 'no treated person has a control in its exact cell or within the caliper' });
  }
  await db.run('match: matches table', 'create or replace table matches (person_id varchar, treated integer, subclass integer, weight double, ps double)');
  await db.appendColumns('matches', [
    { type: 'VARCHAR', values: cohort.personIds },
    { type: 'INTEGER', values: cohort.treated },
    { type: 'INTEGER', values: subclassValues(result) },
    { type: 'DOUBLE', values: result.weights },
    { type: 'DOUBLE', values: result.ps ?? new Array(cohort.treated.length).fill(null) },
  ]);
  await db.run('match: ps model table', 'create or replace table ps_model (term varchar, coefficient double, caliper_logit double)');
  const terms = [...(result.coefficients ?? new Map<string, number>())];
  await db.appendColumns('ps_model', [
    { type: 'VARCHAR', values: terms.map(([term]) => term) },
    { type: 'DOUBLE', values: terms.map(([, coefficient]) => coefficient) },
    { type: 'DOUBLE', values: terms.map(() => result.caliperLogit) },
  ]);
  await writeBalance(db, balance, persons);
}

/** Matched set per unit for the warehouse: null where there is none (unmatched, or matching with replacement). */
export function subclassValues(result: UnitMatching): (number | null)[] {
  return result.subclass ? Array.from(result.subclass, (set) => (set > 0 ? set : null)) : new Array(result.weights.length).fill(null);
}

export const matchStage: Stage = {
  name: 'match',
  reads: ['cohort', 'attrition'],
  writes: ['matches', 'ps_model', 'balance', 'attrition'],
  run: async ({ db, study }) => {
    await matchCohort(db, study);
    await db.runFile('match/01_count_matched.sql');
  },
};
