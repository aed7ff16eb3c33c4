/**
 * A cohort small enough to check matching and estimates by hand.
 * Stratum A: 2 treated, 4 controls; B: 1 and 1; C: 1 treated only; D: 3 controls only.
 */
import type { Database } from '../../src/db/database.js';

export const SMALL_COHORT = [
  ['t1', 1, 'A'], ['t2', 1, 'A'], ['c1', 0, 'A'], ['c2', 0, 'A'], ['c3', 0, 'A'], ['c4', 0, 'A'],
  ['t3', 1, 'B'], ['c5', 0, 'B'],
  ['t4', 1, 'C'],
  ['c6', 0, 'D'], ['c7', 0, 'D'], ['c8', 0, 'D'],
] as const;

export async function createSmallCohort(db: Database, order: 'forward' | 'reverse' = 'forward'): Promise<void> {
  const rows = order === 'forward' ? SMALL_COHORT : [...SMALL_COHORT].reverse();
  const values = rows.map(([id, treated, stratum]) => `('${id}', ${treated}, '${stratum}', 'F')`).join(', ');
  await db.run('cohort', `create table cohort as select * from (values ${values}) as t(person_id, treated, age_band, sex)`);
}
