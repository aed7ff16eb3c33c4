/**
 * Subgroup stage: for each subgroup the study asks for (config `subgroups`)
 * and each of its levels among the treated, matches a subset of the cohort
 * with the study's own matching settings and writes the matched sample to
 * `subgroup_matches` (with replacement, its pairs' members to
 * `subgroup_match_pairs`, as the match stage's `match_pairs`); the estimate
 * stage computes the matched ATT and the event-study DiD per level from them. `subgroups` has one
 * row per level: persons, matched persons, the worst |SMD| after matching, a
 * `status` code (`LevelStatus`: estimated, or why not) and a
 * `status_detail` in words. Matching is the engine's
 * (match/engine.ts), as for the whole study; a level whose PS model fails is
 * recorded with the failure's code, not fatal.
 *
 * Subsets (SUBGROUPS in the study config): a level of target group or funder
 * keeps both arms at that level, so each level is matched on its own; a
 * provider keeps its own participants and every control. The subgroup's own
 * column is dropped from the matching covariates, and so is any covariate
 * that is constant within the subset (it carries no information, and a
 * one-level factor makes the PS model rank deficient); status_detail names
 * them.
 */
import { BALANCE_COVARIATES, type StudyConfig, SUBGROUPS, type Subgroup } from '../config/study-config.js';
import type { AppendColumn, Database } from '../db/database.js';
import { type PipelineError, PipelineFailure } from '../errors.js';
import { type CohortUnits, readCohortUnits, selectUnits } from '../match/cohort-units.js';
import { categoryLevels } from '../match/design-matrix.js';
import { countArms, type MatchOutput, matchTable } from '../match/engine.js';
import { PAIR_MEMBER_COLUMNS, pairMemberColumns, studyMatchDesign, subclassValues } from '../match/index.js';
import type { Stage } from '../stage.js';

/** `subgroups.status`: estimated, or why the level was not. */
export type LevelStatus = 'estimated' | 'no_controls' | 'no_treated_matched' | 'ps_rank_deficient' | 'ps_separation' | 'ps_not_converged';

interface LevelOutcome {
  status: LevelStatus;
  /** `subgroups.status_detail`: the covariates constant at the level, or which covariate failed the PS model. */
  statusDetail: string | null;
}

/**
 * A PS model failure as the level's outcome. It is exported, so the detail
 * names the covariate but never a count of persons (the CLI's message for
 * separation does). Null for any other error, which stops the run.
 */
function levelFailure(error: PipelineError): LevelOutcome | null {
  switch (error.code) {
    case 'ps_rank_deficient':
      return { status: error.code, statusDetail: `PS covariate ${error.column} is a linear combination of others at this level` };
    case 'ps_separation':
      return { status: error.code, statusDetail: `PS covariate ${error.column} separates the arms at this level` };
    case 'ps_not_converged':
      return { status: error.code, statusDetail: 'the PS model did not converge at this level' };
    default:
      return null;
  }
}

interface LevelResult extends LevelOutcome {
  subgroup: Subgroup;
  level: string;
  units: CohortUnits;
  output: MatchOutput | null;
}

/** What the summary keeps of a level once its matches are written: its persons and their matched sample are let go. */
interface LevelSummary extends LevelOutcome {
  subgroup: Subgroup;
  level: string;
  persons: ReturnType<typeof countArms>;
  matched: MatchOutput['matched'] | null;
  worstAfter: MatchOutput['worstAfter'] | null;
}

function isConstant(units: CohortUnits, name: string): boolean {
  const values: ArrayLike<number | string> = units.covariate(name).values;
  for (let unit = 1; unit < values.length; unit++) if (values[unit] !== values[0]) return false;
  return true;
}

function matchLevel(units: CohortUnits, subgroup: Subgroup, level: string, matching: StudyConfig['matching']): LevelResult {
  const result = { subgroup, level, units, output: null, statusDetail: null };
  const column = SUBGROUPS[subgroup].column;
  const candidates: string[] = [...new Set([...matching.exact, ...matching.ps_covariates])].filter((name) => name !== column);
  const constant = candidates.filter((name) => isConstant(units, name));
  const usable = (names: readonly string[]) => names.filter((name) => name !== column && !constant.includes(name));
  try {
    // a level keeps its worst |SMD| after matching, no balance table: the SMDs alone
    const matched = matchTable(units, studyMatchDesign(matching, { exact: usable(matching.exact), ps: usable(matching.ps_covariates) }), {
      spread: false,
    });
    switch (matched.status) {
      case 'empty_arm':
        // a level is one the treated have, so only the controls can be missing
        if (matched.arm === 'treated') throw new Error(`subgroups: ${subgroup} level ${level} has no treated persons`);
        return { ...result, status: 'no_controls' };
      case 'no_treated_matched':
        return { ...result, status: 'no_treated_matched' };
      case 'matched':
        return {
          ...result,
          output: matched.output,
          status: 'estimated',
          statusDetail: constant.length ? `constant at this level: ${constant.join(', ')}` : null,
        };
    }
  } catch (error) {
    const failure = error instanceof PipelineFailure ? levelFailure(error.error) : null;
    if (failure === null) throw error;
    return { ...result, ...failure };
  }
}

/** The subgroup's levels among the treated, each matched when asked for: one level's persons are held at a time. */
function* matchSubgroup(cohort: CohortUnits, subgroup: Subgroup, matching: StudyConfig['matching']): Generator<LevelResult> {
  const { column, controls } = SUBGROUPS[subgroup];
  const values = cohort.covariate(column).values as readonly string[];
  const levels = categoryLevels(values.filter((_, unit) => cohort.treated[unit] === 1));
  for (const level of levels) {
    const units = selectUnits(cohort, (unit) => values[unit] === level || (controls === 'all' && cohort.treated[unit] === 0));
    yield matchLevel(units, subgroup, level, matching);
  }
}

/** subgroup_matches and subgroup_match_pairs, empty: the stage appends every level's rows to them. */
export async function createSubgroupMatchTables(db: Database): Promise<void> {
  await db.run(
    'subgroups: matches table',
    'create or replace table subgroup_matches (subgroup varchar, level varchar, person_id varchar, treated integer, subclass integer, weight double)',
  );
  await db.run(
    'subgroups: pairs table',
    `create or replace table subgroup_match_pairs (subgroup varchar, level varchar, ${PAIR_MEMBER_COLUMNS})`,
  );
}

/** Appends a level's matched sample (and with replacement its pairs) and gives what the summary needs of it. */
async function writeLevelMatches(db: Database, result: LevelResult): Promise<LevelSummary> {
  const { subgroup, level, units, output, status, statusDetail } = result;
  const summary = {
    subgroup,
    level,
    status,
    statusDetail,
    persons: countArms(units.treated),
    matched: output?.matched ?? null,
    worstAfter: output?.worstAfter ?? null,
  };
  if (!output) return summary;
  // the subgroup and level columns for `rows` rows
  const levelColumns = (rows: number): AppendColumn[] => [
    { type: 'VARCHAR', values: new Array<string>(rows).fill(subgroup) },
    { type: 'VARCHAR', values: new Array<string>(rows).fill(level) },
  ];
  // appended without the level's two constant strings per row (a string is a call into DuckDB each), then copied
  await db.run(
    'subgroups: level matches table',
    'create or replace temp table subgroup_level_matches (person_id varchar, treated integer, subclass integer, weight double)',
  );
  await db.appendColumns('subgroup_level_matches', [
    { type: 'VARCHAR', values: units.personIds },
    { type: 'INTEGER', values: units.treated },
    { type: 'INTEGER', values: subclassValues(output) },
    { type: 'DOUBLE', values: output.weights },
  ]);
  await db.run(
    'subgroups: level matches',
    'insert into subgroup_matches select $subgroup, $level, * from subgroup_level_matches; drop table subgroup_level_matches',
    { subgroup, level },
  );
  const pairs = pairMemberColumns(units, output);
  await db.appendColumns('subgroup_match_pairs', [...levelColumns(pairs[0]!.values.length), ...pairs]);
  return summary;
}

async function writeSubgroupSummary(db: Database, levels: readonly LevelSummary[]): Promise<void> {
  await db.run(
    'subgroups: summary table',
    `create or replace table subgroups (
        subgroup varchar, level varchar, controls varchar,
        persons_treated integer, persons_control integer, matched_treated integer, matched_control integer,
        max_abs_smd_after double, worst_covariate varchar, status varchar, status_detail varchar)`,
  );
  const persons = levels.map((row) => row.persons);
  await db.appendColumns('subgroups', [
    { type: 'VARCHAR', values: levels.map((row) => row.subgroup) },
    { type: 'VARCHAR', values: levels.map((row) => row.level) },
    { type: 'VARCHAR', values: levels.map((row) => (SUBGROUPS[row.subgroup].controls === 'all' ? 'all controls' : 'same level')) },
    { type: 'INTEGER', values: persons.map((count) => count.treated) },
    { type: 'INTEGER', values: persons.map((count) => count.control) },
    { type: 'INTEGER', values: levels.map((row) => row.matched?.treated ?? null) },
    { type: 'INTEGER', values: levels.map((row) => row.matched?.control ?? null) },
    { type: 'DOUBLE', values: levels.map((row) => (row.worstAfter ? Math.round(row.worstAfter.absSmd * 1e10) / 1e10 : null)) },
    { type: 'VARCHAR', values: levels.map((row) => row.worstAfter?.label ?? null) },
    { type: 'VARCHAR', values: levels.map((row) => row.status) },
    { type: 'VARCHAR', values: levels.map((row) => row.statusDetail) },
  ]);
}

export const subgroupsStage: Stage = {
  name: 'subgroups',
  reads: ['cohort'],
  writes: ['subgroups', 'subgroup_matches', 'subgroup_match_pairs'],
  // one level's matches before they join subgroup_matches (temporary, dropped after each level)
  scratch: ['subgroup_level_matches'],
  run: async ({ db, study }) => {
    const { matching } = study;
    const columns = study.subgroups.map((subgroup) => SUBGROUPS[subgroup].column);
    const cohort = columns.length
      ? await readCohortUnits(db, [...new Set([...matching.exact, ...matching.ps_covariates, ...BALANCE_COVARIATES, ...columns])])
      : null;
    // Level by level: a level's matched sample is written before the next is matched, so the stage holds
    // the cohort and one level, never all of them (a provider's level holds every control).
    await createSubgroupMatchTables(db);
    const levels: LevelSummary[] = [];
    if (cohort) {
      for (const subgroup of study.subgroups) {
        for (const result of matchSubgroup(cohort, subgroup, matching)) levels.push(await writeLevelMatches(db, result));
      }
    }
    await writeSubgroupSummary(db, levels);
  },
};
