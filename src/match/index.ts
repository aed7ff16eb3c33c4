/**
 * Match stage: matches the cohort with the engine (engine.ts: exact strata,
 * or nearest neighbour on the logit of a logistic PS), writes `matches`, the
 * PS model, the covariate balance before and after (MatchIt's conventions)
 * and the matched step of the attrition table. Matching with replacement has
 * no matched set per person, so it also writes `match_pairs`: one row per
 * person per pair, as MatchIt's get_matches() (empty for other matching),
 * which the matched ATT's SE is clustered on (sql/estimate/00, 03).
 *
 * The cohort is read in person_id order: that is the canonical order every
 * tie-break follows, so the result never depends on row order. One row per
 * person crosses into JS, as typed arrays.
 */
import { BALANCE_COVARIATES, type StudyConfig } from '../config/study-config.js';
import type { AppendColumn, Database } from '../db/database.js';
import { fail } from '../errors.js';
import type { Stage } from '../stage.js';
import { type BalanceRow, SMD_DENOMINATOR } from './balance-statistics.js';
import { type CohortUnits, readCohortUnits } from './cohort-units.js';
import { type MatchDesign, type MatchOutput, matchTable } from './engine.js';

/** The engine's design from the study's matching settings; the covariates may be narrowed (subgroups drop some). */
export function studyMatchDesign(
  matching: StudyConfig['matching'],
  covariates: { exact: readonly string[]; ps: readonly string[] } = { exact: matching.exact, ps: matching.ps_covariates },
): MatchDesign {
  return {
    method: matching.method,
    exactCovariates: covariates.exact,
    psCovariates: covariates.ps,
    balanceCovariates: BALANCE_COVARIATES,
    ratio: matching.ratio,
    caliperSd: matching.caliper_sd_logit,
    replace: matching.replace,
    order: matching.order,
  };
}

async function writeBalance(db: Database, rows: BalanceRow[]): Promise<void> {
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
    ...(['before', 'after'] as const).flatMap((sample) => [
      { type: 'INTEGER' as const, values: rows.map((row) => row[sample].personsTreated) },
      { type: 'INTEGER' as const, values: rows.map((row) => row[sample].personsControl) },
    ]),
    { type: 'VARCHAR', values: rows.map(() => SMD_DENOMINATOR) },
  ]);
}

async function matchCohort(db: Database, study: StudyConfig): Promise<void> {
  const { matching } = study;
  const cohort = await readCohortUnits(db, [...new Set([...matching.exact, ...matching.ps_covariates, ...BALANCE_COVARIATES])]);
  const matched = matchTable(cohort, studyMatchDesign(matching));
  if (matched.status === 'empty_arm') fail({ code: 'empty_arm', arm: study.arms[matched.arm], step: 'the population rules' });
  if (matched.status === 'no_treated_matched') {
    fail({
      code: 'match_none',
      method: matching.method,
      reason: 'no treated person has a control in its exact cell or within the caliper',
    });
  }
  const { output } = matched;
  await db.run(
    'match: matches table',
    'create or replace table matches (person_id varchar, treated integer, subclass integer, weight double, ps double)',
  );
  await db.appendColumns('matches', [
    { type: 'VARCHAR', values: cohort.personIds },
    { type: 'INTEGER', values: cohort.treated },
    { type: 'INTEGER', values: subclassValues(output) },
    { type: 'DOUBLE', values: output.weights },
    { type: 'DOUBLE', values: output.ps ?? new Array(cohort.treated.length).fill(null) },
  ]);
  await db.run('match: pairs table', `create or replace table match_pairs (${PAIR_MEMBER_COLUMNS})`);
  await db.appendColumns('match_pairs', pairMemberColumns(cohort, output));
  await db.run('match: ps model table', 'create or replace table ps_model (term varchar, coefficient double, caliper_logit double)');
  const terms = [...(output.coefficients ?? new Map<string, number>())];
  await db.appendColumns('ps_model', [
    { type: 'VARCHAR', values: terms.map(([term]) => term) },
    { type: 'DOUBLE', values: terms.map(([, coefficient]) => coefficient) },
    { type: 'DOUBLE', values: terms.map(() => output.caliperLogit) },
  ]);
  await writeBalance(db, output.balance);
}

/** Matched set per unit for the warehouse: null where there is none (unmatched, or matching with replacement). */
export function subclassValues(result: Pick<MatchOutput, 'subclass' | 'weights'>): (number | null)[] {
  return result.subclass ? Array.from(result.subclass, (set) => (set > 0 ? set : null)) : new Array(result.weights.length).fill(null);
}

/**
 * The columns of `match_pairs` (`subgroup_match_pairs` has the subgroup and level before them): the pair (its
 * treated person's subclass, numbered 1.. in person_id order), a member and its arm, and the member's weight in
 * the pair as get_matches() gives it (1 for the treated person, 1 / the pair's controls for each control).
 */
export const PAIR_MEMBER_COLUMNS = 'subclass integer, person_id varchar, treated integer, pair_weight double';

/** The rows of PAIR_MEMBER_COLUMNS for a matching: its pair members with replacement, none otherwise. */
export function pairMemberColumns(
  units: Pick<CohortUnits, 'personIds' | 'treated'>,
  output: Pick<MatchOutput, 'pairMembers'>,
): AppendColumn[] {
  const members = output.pairMembers;
  const memberUnits = members ? Array.from(members.unit) : [];
  return [
    { type: 'INTEGER', values: members?.subclass ?? [] },
    { type: 'VARCHAR', values: memberUnits.map((unit) => units.personIds[unit]!) },
    { type: 'INTEGER', values: memberUnits.map((unit) => units.treated[unit]!) },
    { type: 'DOUBLE', values: members?.pairWeight ?? [] },
  ];
}

export const matchStage: Stage = {
  name: 'match',
  reads: ['cohort', 'attrition'],
  writes: ['matches', 'match_pairs', 'ps_model', 'balance', 'attrition'],
  run: async ({ db, study }) => {
    await matchCohort(db, study);
    await db.runFile('match/01_count_matched.sql');
  },
};
