import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { measureMoneyDominance } from '../../src/disclosure/index.js';
import { weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';

/** matches and panel_person_month from VALUES rows, then the dominance step. */
async function dominance(db: Database, matches: string, panel: string): Promise<void> {
  await db.run(
    'inputs',
    `create table matches as select person_id, treated, null::integer as subclass, weight from (values ${matches}) as t(person_id, treated, weight);
     create table subgroup_matches (subgroup varchar, level varchar, person_id varchar, treated integer, subclass integer, weight double);
     create table match_pairs (subclass integer, person_id varchar, treated integer, pair_weight double);
     create table subgroup_match_pairs (subgroup varchar, level varchar, subclass integer, person_id varchar, treated integer, pair_weight double);
     create table panel_person_month as select * from (values ${panel})
         as t(person_id, event_month, observed, wage_eur, benefit_eur, any_benefit_eur)`,
  );
  await weightObservedMonths(db);
  await measureMoneyDominance(db, 2);
}

describe('money dominance', () => {
  test('the share of a money total held by the two largest persons, per arm and month', async () => {
    const rows = await withDatabase(async (db) => {
      await dominance(
        db,
        "('a', 1, 1.0), ('b', 1, 1.0), ('c', 1, 1.0), ('d', 0, 2.0), ('e', 0, 0.0), ('f', 1, 1.0)",
        // f is no longer observed: its month does not count
        `('a', 1, true, 8000.00, 0.00, 0.00), ('b', 1, true, 1000.00, 0.00, 0.00), ('c', 1, true, 1000.00, 0.00, 0.00),
         ('d', 1, true, 500.00, 0.00, 0.00), ('e', 1, true, 9000.00, 0.00, 0.00), ('f', 1, false, null, null, null)`,
      );
      return db.query<{ weighting: string; treated: number; top_share: number }>(
        'read',
        "select weighting, treated, top_share from money_dominance where outcome = 'wage_eur' order by weighting, treated",
      );
    });
    expect(rows).toEqual([
      { weighting: 'matched', treated: 0, top_share: 1 },
      { weighting: 'matched', treated: 1, top_share: 0.9 },
      { weighting: 'unweighted', treated: 0, top_share: 1 },
      { weighting: 'unweighted', treated: 1, top_share: 0.9 },
    ]);
  });

  test('a total of zero euros is not dominated', async () => {
    const [row] = await withDatabase(async (db) => {
      await dominance(db, "('a', 1, 1.0)", "('a', 1, true, 0.00, 0.00, 0.00)");
      return db.query<{ top_share: number }>(
        'read',
        "select top_share from money_dominance where outcome = 'benefit_eur' and weighting = 'matched'",
      );
    });
    expect(row!.top_share).toBe(0);
  });
});
