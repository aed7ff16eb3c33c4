/**
 * A cohort small enough to check matching and estimates by hand.
 * Stratum A: 2 treated, 4 controls; B: 1 and 1; C: 1 treated only; D: 3 controls only.
 */
import type { Database } from '../../src/db/database.js';
import { matchUnits } from '../../src/match/match-units.js';
import { createEmptyPairAndSubgroupMatches } from './empty-match-tables.js';

export const SMALL_COHORT = [
  ['t1', 1, 'A'],
  ['t2', 1, 'A'],
  ['c1', 0, 'A'],
  ['c2', 0, 'A'],
  ['c3', 0, 'A'],
  ['c4', 0, 'A'],
  ['t3', 1, 'B'],
  ['c5', 0, 'B'],
  ['t4', 1, 'C'],
  ['c6', 0, 'D'],
  ['c7', 0, 'D'],
  ['c8', 0, 'D'],
] as const;

/** Writes `matches` for the small cohort, exactly matched on its stratum, and empty `subgroup_matches` and pair tables. */
export async function matchSmallCohort(db: Database): Promise<void> {
  const treated = Uint8Array.from(SMALL_COHORT, ([, isTreated]) => isTreated);
  const { weights, subclass } = matchUnits(treated, {
    method: 'exact',
    exactCovariates: [{ name: 'stratum', kind: 'categorical', values: SMALL_COHORT.map(([, , stratum]) => stratum) }],
    psCovariates: [],
    ratio: 1,
    replace: false,
    order: 'largest',
  });
  await db.run('matches', 'create table matches (person_id varchar, treated integer, subclass integer, weight double, ps double)');
  await db.appendColumns('matches', [
    { type: 'VARCHAR', values: SMALL_COHORT.map(([id]) => id) },
    { type: 'INTEGER', values: treated },
    { type: 'INTEGER', values: Array.from(subclass!, (set) => (set > 0 ? set : null)) },
    { type: 'DOUBLE', values: weights },
    { type: 'DOUBLE', values: SMALL_COHORT.map(() => null) },
  ]);
  await createEmptyPairAndSubgroupMatches(db);
}
