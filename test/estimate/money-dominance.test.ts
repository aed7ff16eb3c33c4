import { describe, expect, test } from 'vitest';
import { withDatabase } from '../support/delivery.js';

describe('money dominance', () => {
  test('the share of a money total held by the two largest persons, per arm and month', async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'inputs',
        `create table matches as select * from (values ('a', 1, 1.0), ('b', 1, 1.0), ('c', 1, 1.0), ('d', 0, 2.0), ('e', 0, 0.0))
             as t(person_id, treated, weight);
         create table panel_person_month as select * from (values
             ('a', 1, 8000.00, 0.00), ('b', 1, 1000.00, 0.00), ('c', 1, 1000.00, 0.00), ('d', 1, 500.00, 0.00), ('e', 1, 9000.00, 0.00))
             as t(person_id, event_month, wage_eur, benefit_eur)`,
      );
      await db.runFile('estimate/17_measure_money_dominance.sql', { top_persons: 2 });
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
      await db.run(
        'inputs',
        `create table matches as select 'a' as person_id, 1 as treated, 1.0 as weight;
         create table panel_person_month as select 'a' as person_id, 1 as event_month, 0.00 as wage_eur, 0.00 as benefit_eur`,
      );
      await db.runFile('estimate/17_measure_money_dominance.sql', { top_persons: 2 });
      return db.query<{ top_share: number }>('read', "select top_share from money_dominance where outcome = 'benefit_eur' and weighting = 'matched'");
    });
    expect(row!.top_share).toBe(0);
  });
});
