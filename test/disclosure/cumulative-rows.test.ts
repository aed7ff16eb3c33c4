/**
 * sql/disclosure/: which rows of a cumulative table (attrition steps,
 * ever-employed months) are published, so that no two published rows differ
 * by a small count of persons.
 */
import { describe, expect, test } from 'vitest';
import { withDatabase } from '../support/delivery.js';

describe('attrition steps', () => {
  // Anchors: step 4 (first with arms), 9 (cohort) and 10 (matched).
  const ATTRITION = `create table attrition as select * from (values
      (3, 'persons accepted', 'persons', 4000, null, null),
      (4, 'with trajectory', 'persons', 3000, 1000, 2000),
      (5, 'programme', 'persons', 3000, 1000, 2000),
      (6, 'window', 'persons', 2995, 995, 2000),
      (7, 'age', 'persons', 2970, 980, 1990),
      (8, 'benefit', 'persons', 2968, 978, 1990),
      (9, 'cohort', 'persons', 2940, 960, 1980),
      (10, 'matched', 'persons', 2655, 955, 1700)
    ) as t(step_no, step, unit, n, n_treated, n_control)`;

  test('a step is left out when it differs from the last published step, or the next anchor, by 1 to 9 persons in an arm', async () => {
    const { shown, gaps } = await withDatabase(async (db) => {
      await db.run('attrition', ATTRITION);
      await db.runFile('disclosure/01_choose_attrition_steps.sql', { threshold: 10 });
      return {
        shown: await db.query<{ step_no: number; shown: boolean }>('read', 'select step_no::integer as step_no, shown from attrition_steps_shown order by step_no'),
        gaps: await db.query('read', 'select from_step::integer as from_step, to_step::integer as to_step, arm from attrition_gaps'),
      };
    });
    expect(shown.filter((row) => !row.shown).map((row) => row.step_no)).toEqual([6, 8]);
    // 5 persons left unmatched: both anchors are published elsewhere, so this is a warning.
    expect(gaps).toEqual([{ from_step: 9, to_step: 10, arm: 'treated' }]);
  });
});

describe('ever-employed months', () => {
  test('a month is left out when its count exceeds the last published one by 1 to 9 persons', async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'ever employed',
        `create table ever_employed as select * from (values
            ('matched', 'IPS', 1, 0), ('matched', 'IPS', 2, 12), ('matched', 'IPS', 3, 15),
            ('matched', 'IPS', 4, 30), ('matched', 'IPS', 5, 31), ('matched', 'IPS', 6, 45),
            ('matched', 'TVR', 1, 5), ('matched', 'TVR', 2, 9), ('matched', 'TVR', 3, 20)
          ) as t(weighting, arm, event_month, persons_ever_employed)`,
      );
      await db.runFile('disclosure/02_choose_ever_employed_months.sql', { threshold: 10 });
      return db.query<{ arm: string; event_month: number }>(
        'read',
        'select arm, event_month::integer as event_month from ever_employed_months_shown where not shown order by arm, event_month',
      );
    });
    expect(rows.map((row) => `${row.arm} ${row.event_month}`)).toEqual(['IPS 3', 'IPS 5', 'TVR 1', 'TVR 2']);
  });
});
