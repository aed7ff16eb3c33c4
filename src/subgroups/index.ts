/**
 * Subgroup stage: for each subgroup the study asks for (config `subgroups`)
 * and each of its levels among the treated, matches a subset of the cohort
 * with the study's own matching settings and writes the matched sample to
 * `subgroup_matches`; the estimate stage computes the matched ATT per level
 * from it. `subgroups` has one row per level: persons, matched persons, the
 * worst |SMD| after matching, and why a level could not be estimated.
 *
 * Subsets (SUBGROUPS in the study config): a level of target group or funder
 * keeps both arms at that level, so each level is matched on its own; a
 * provider keeps its own participants and every control. The subgroup's own
 * column is dropped from the matching covariates, and so is any covariate
 * that is constant within the subset (it carries no information, and a
 * one-level factor makes the PS model rank deficient); the row names them.
 */
import { BALANCE_COVARIATES, type StudyConfig, SUBGROUPS, type Subgroup } from '../config/study-config.js';
import type { Database } from '../db/database.js';
import { type PipelineError, PipelineFailure } from '../errors.js';
import { type CohortUnits, readCohortUnits, selectUnits } from '../match/cohort-units.js';
import { categoryLevels } from '../match/design-matrix.js';
import { anyTreatedMatched, type CohortMatching, matchCohortUnits, subclassValues } from '../match/index.js';
import type { Stage } from '../stage.js';

/**
 * Why a level's PS model failed, for the subgroup table. It is exported, so
 * it names the covariate but never a count of persons (the CLI's message for
 * separation does).
 */
function levelFailure(error: PipelineError): string | null {
  switch (error.code) {
    case 'ps_rank_deficient':
      return `not estimated: PS covariate ${error.column} is a linear combination of others at this level`;
    case 'ps_separation':
      return `not estimated: PS covariate ${error.column} separates the arms at this level`;
    case 'ps_not_converged':
      return 'not estimated: the PS model did not converge at this level';
    default:
      return null;
  }
}

interface LevelResult {
  subgroup: Subgroup;
  level: string;
  units: CohortUnits;
  matching: CohortMatching | null;
  status: string;
}

function isConstant(units: CohortUnits, name: string): boolean {
  const values: ArrayLike<number | string> = units.covariate(name).values;
  for (let unit = 1; unit < values.length; unit++) if (values[unit] !== values[0]) return false;
  return true;
}

function matchLevel(units: CohortUnits, subgroup: Subgroup, level: string, matching: StudyConfig['matching']): LevelResult {
  const result = { subgroup, level, units };
  const treatedCount = units.treated.reduce((sum, value) => sum + value, 0);
  if (treatedCount === units.treated.length) return { ...result, matching: null, status: 'not estimated: no controls at this level' };
  const column = SUBGROUPS[subgroup].column;
  const candidates: string[] = [...new Set([...matching.exact, ...matching.ps_covariates])].filter((name) => name !== column);
  const constant = candidates.filter((name) => isConstant(units, name));
  const usable = (names: readonly string[]) => names.filter((name) => name !== column && !constant.includes(name));
  try {
    const matched = matchCohortUnits(units, matching, { exact: usable(matching.exact), ps: usable(matching.ps_covariates) });
    if (!anyTreatedMatched(units, matched.result)) return { ...result, matching: null, status: 'not estimated: no treated person matched' };
    return { ...result, matching: matched, status: constant.length ? `estimated; constant at this level: ${constant.join(', ')}` : 'estimated' };
  } catch (error) {
    const status = error instanceof PipelineFailure ? levelFailure(error.error) : null;
    if (status === null) throw error;
    return { ...result, matching: null, status };
  }
}

function matchSubgroup(cohort: CohortUnits, subgroup: Subgroup, matching: StudyConfig['matching']): LevelResult[] {
  const { column, controls } = SUBGROUPS[subgroup];
  const values = cohort.covariate(column).values as readonly string[];
  const levels = categoryLevels(values.filter((_, unit) => cohort.treated[unit] === 1));
  return levels.map((level) => {
    const units = selectUnits(cohort, (unit) => values[unit] === level || (controls === 'all' && cohort.treated[unit] === 0));
    return matchLevel(units, subgroup, level, matching);
  });
}

async function writeSubgroupMatches(db: Database, levels: readonly LevelResult[]): Promise<void> {
  await db.run(
    'subgroups: matches table',
    'create or replace table subgroup_matches (subgroup varchar, level varchar, person_id varchar, treated integer, subclass integer, weight double)',
  );
  for (const { subgroup, level, units, matching } of levels) {
    if (!matching) continue;
    const constant = <T>(value: T) => new Array<T>(units.treated.length).fill(value);
    await db.appendColumns('subgroup_matches', [
      { type: 'VARCHAR', values: constant(subgroup) },
      { type: 'VARCHAR', values: constant(level) },
      { type: 'VARCHAR', values: units.personIds },
      { type: 'INTEGER', values: units.treated },
      { type: 'INTEGER', values: subclassValues(matching.result) },
      { type: 'DOUBLE', values: matching.result.weights },
    ]);
  }
}

async function writeSubgroupSummary(db: Database, levels: readonly LevelResult[]): Promise<void> {
  await db.run(
    'subgroups: summary table',
    `create or replace table subgroups (
        subgroup varchar, level varchar, controls varchar,
        persons_treated integer, persons_control integer, matched_treated integer, matched_control integer,
        max_abs_smd_after double, worst_covariate varchar, status varchar)`,
  );
  const worst = levels.map(({ matching }) =>
    (matching?.balance ?? [])
      .filter((row) => row.after.smd !== null)
      .reduce<{ smd: number; name: string } | null>((found, row) => {
        const smd = Math.abs(row.after.smd!);
        return found && found.smd >= smd ? found : { smd, name: row.level === null ? row.covariate : `${row.covariate}=${row.level}` };
      }, null),
  );
  const count = (units: CohortUnits, weights: Float64Array | null, arm: 0 | 1) =>
    units.treated.reduce((sum, value, unit) => sum + (value === arm && (!weights || weights[unit]! > 0) ? 1 : 0), 0);
  await db.appendColumns('subgroups', [
    { type: 'VARCHAR', values: levels.map((row) => row.subgroup) },
    { type: 'VARCHAR', values: levels.map((row) => row.level) },
    { type: 'VARCHAR', values: levels.map((row) => (SUBGROUPS[row.subgroup].controls === 'all' ? 'all controls' : 'same level')) },
    { type: 'INTEGER', values: levels.map((row) => count(row.units, null, 1)) },
    { type: 'INTEGER', values: levels.map((row) => count(row.units, null, 0)) },
    { type: 'INTEGER', values: levels.map((row) => (row.matching ? count(row.units, row.matching.result.weights, 1) : null)) },
    { type: 'INTEGER', values: levels.map((row) => (row.matching ? count(row.units, row.matching.result.weights, 0) : null)) },
    { type: 'DOUBLE', values: worst.map((found) => (found ? Math.round(found.smd * 1e10) / 1e10 : null)) },
    { type: 'VARCHAR', values: worst.map((found) => found?.name ?? null) },
    { type: 'VARCHAR', values: levels.map((row) => row.status) },
  ]);
}

export const subgroupsStage: Stage = {
  name: 'subgroups',
  reads: ['cohort'],
  writes: ['subgroups', 'subgroup_matches'],
  run: async ({ db, study }) => {
    const { matching } = study;
    const columns = study.subgroups.map((subgroup) => SUBGROUPS[subgroup].column);
    const cohort = columns.length
      ? await readCohortUnits(db, [...new Set([...matching.exact, ...matching.ps_covariates, ...BALANCE_COVARIATES, ...columns])])
      : null;
    const levels = cohort ? study.subgroups.flatMap((subgroup) => matchSubgroup(cohort, subgroup, matching)) : [];
    await writeSubgroupMatches(db, levels);
    await writeSubgroupSummary(db, levels);
  },
};
