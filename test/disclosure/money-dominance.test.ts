import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { measureMoneyDominance } from '../../src/disclosure/index.js';
import { weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';

/** matches and panel_person_month from VALUES rows, then the dominance step, at most `rowsPerRange` sums' rows at a time. */
async function dominance(db: Database, matches: string, panel: string, pairs?: string, rowsPerRange = 2 ** 20): Promise<void> {
  await db.run(
    'inputs',
    `create table matches as select person_id, treated, null::integer as subclass, weight from (values ${matches}) as t(person_id, treated, weight);
     create table subgroup_matches (subgroup varchar, level varchar, person_id varchar, treated integer, subclass integer, weight double);
     create table match_pairs (subclass integer, person_id varchar, treated integer, pair_weight double);
     ${pairs ? `insert into match_pairs select * from (values ${pairs});` : ''}
     create table subgroup_match_pairs (subgroup varchar, level varchar, subclass integer, person_id varchar, treated integer, pair_weight double);
     create table panel_person_month as select * from (values ${panel})
         as t(person_id, event_month, observed, wage_eur, benefit_eur, any_benefit_eur)`,
  );
  await keyPanelPersons(db);
  await weightObservedMonths(db);
  await measureMoneyDominance(db, 2, rowsPerRange);
}

/** The wage shares held by the two largest persons, per weighting and arm. */
function wageShares(db: Database) {
  return db.query<{ weighting: string; treated: number; top_share: number }>(
    'read',
    "select weighting, treated, top_share from money_dominance where outcome = 'wage_eur' order by weighting, treated",
  );
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
      return wageShares(db);
    });
    expect(rows).toEqual([
      { weighting: 'matched', treated: 0, top_share: 1 },
      { weighting: 'matched', treated: 1, top_share: 0.9 },
      { weighting: 'unweighted', treated: 0, top_share: 1 },
      { weighting: 'unweighted', treated: 1, top_share: 0.9 },
    ]);
  });

  test('with replacement a person weighs its pairs in the month: the matched shares weigh each person-month so', async () => {
    const rows = await withDatabase(async (db) => {
      await dominance(
        db,
        "('a', 1, 1.0), ('b', 1, 1.0), ('d', 0, 1.0), ('e', 0, 0.5), ('f', 0, 0.5)",
        `('a', 1, true, 8000.00, 0.00, 0.00), ('b', 1, true, 1000.00, 0.00, 0.00),
         ('d', 1, true, 500.00, 0.00, 0.00), ('e', 1, true, 9000.00, 0.00, 0.00), ('f', 1, true, 1000.00, 0.00, 0.00)`,
        // pair 1: a with d and f; pair 2: b with d and e. d weighs 1/2 + 1/2, e and f 1/2 each
        "(1, 'a', 1, 1.0), (1, 'd', 0, 0.5), (1, 'f', 0, 0.5), (2, 'b', 1, 1.0), (2, 'd', 0, 0.5), (2, 'e', 0, 0.5)",
      );
      return wageShares(db);
    });
    expect(rows).toEqual([
      // 9000 x 1/2 and 500 x 1 (or 1000 x 1/2) of 500 + 4500 + 500
      { weighting: 'matched', treated: 0, top_share: 0.9090909091 },
      { weighting: 'matched', treated: 1, top_share: 1 },
      // 9000 and 1000 of 10500
      { weighting: 'unweighted', treated: 0, top_share: 0.9523809524 },
      { weighting: 'unweighted', treated: 1, top_share: 1 },
    ]);
  });

  test('measured a month at a time, the same rows in the same order as all months at once', async () => {
    const measure = (rowsPerRange: number) =>
      withDatabase(async (db) => {
        await dominance(
          db,
          "('a', 1, 1.0), ('b', 1, 1.0), ('c', 1, 1.0), ('d', 0, 1.0), ('e', 0, 0.5), ('f', 0, 0.5)",
          `('a', 1, true, 8000.00, 10.00, 10.00), ('b', 1, true, 1000.00, 0.00, 0.00), ('c', 1, true, 1000.00, 0.00, 0.00),
           ('d', 1, true, 500.00, 0.00, 0.00), ('e', 1, true, 9000.00, 0.00, 0.00), ('f', 1, true, 1000.00, 0.00, 0.00),
           ('a', 2, true, 100.00, 0.00, 0.00), ('b', 2, true, 7000.00, 0.00, 0.00), ('c', 2, false, null, null, null),
           ('d', 2, true, 500.00, 20.00, 20.00), ('e', 2, true, 300.00, 0.00, 0.00), ('f', 2, true, 1000.00, 0.00, 0.00),
           ('a', 3, true, 100.00, 0.00, 0.00), ('d', 3, true, 900.00, 0.00, 0.00)`,
          "(1, 'a', 1, 1.0), (1, 'd', 0, 0.5), (1, 'f', 0, 0.5), (2, 'b', 1, 1.0), (2, 'd', 0, 0.5), (2, 'e', 0, 0.5)",
          rowsPerRange,
        );
        return db.query<Record<string, unknown>>('read', 'select * from money_dominance');
      });
    const whole = await measure(2 ** 20);
    expect(new Set(whole.map((row) => row.event_month))).toEqual(new Set([1, 2, 3]));
    // one month's rows exceed a range of one row: every month is measured on its own
    expect(await measure(1)).toEqual(whole);
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
