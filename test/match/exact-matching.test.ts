import { describe, expect, test } from 'vitest';
import { exactMatchingSql } from '../../src/match/exact-matching-sql.js';
import { withDatabase } from '../support/delivery.js';
import { createSmallCohort } from '../support/small-cohort.js';

async function match(order: 'forward' | 'reverse') {
  return withDatabase(async (db) => {
    await createSmallCohort(db, order);
    await db.run('match', exactMatchingSql(['age_band', 'sex']));
    return db.query<{ person_id: string; subclass: number | null; weight: number }>(
      'read',
      'select person_id, subclass::integer as subclass, weight from matches order by person_id',
    );
  });
}

describe('exact matching', () => {
  test('gives treated weight 1 and controls (treated/controls in stratum) x (matched controls/matched treated)', async () => {
    const rows = await match('forward');
    const weight = Object.fromEntries(rows.map((row) => [row.person_id, row.weight]));
    expect(weight.t1).toBe(1);
    expect(weight.c1).toBeCloseTo((2 / 4) * (5 / 3), 12);
    expect(weight.c5).toBeCloseTo((1 / 1) * (5 / 3), 12);
    const controlWeights = rows.filter((row) => row.person_id.startsWith('c')).reduce((total, row) => total + row.weight, 0);
    expect(controlWeights).toBeCloseTo(5, 12); // sums to the number of matched controls
  });

  test('drops strata without both arms: weight 0 and no subclass', async () => {
    const rows = await match('forward');
    const unmatched = rows.filter((row) => row.weight === 0).map((row) => row.person_id);
    expect(unmatched).toEqual(['c6', 'c7', 'c8', 't4']);
    expect(rows.filter((row) => row.weight === 0).every((row) => row.subclass === null)).toBe(true);
  });

  test('does not depend on the order of the input rows', async () => {
    expect(await match('reverse')).toEqual(await match('forward'));
  });
});
