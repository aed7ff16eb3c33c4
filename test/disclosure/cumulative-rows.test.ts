/**
 * Which rows of a cumulative table are published, so that no two published
 * rows differ by a small count of persons: attrition steps
 * (sql/disclosure/02) and series of counts by month (seriesRule).
 */
import { describe, expect, test } from 'vitest';
import { seriesRule } from '../../src/disclosure/disclosure-control.js';
import { withDatabase } from '../support/delivery.js';
import { discloseRows } from '../support/disclosure.js';

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
      await db.runFile('disclosure/02_choose_attrition_steps.sql', { threshold: 10 });
      return {
        shown: await db.query<{ step_no: number; shown: boolean }>(
          'read',
          'select step_no::integer as step_no, shown from attrition_steps_shown order by step_no',
        ),
        gaps: await db.query('read', 'select from_step::integer as from_step, to_step::integer as to_step, arm from attrition_gaps'),
      };
    });
    expect(shown.filter((row) => !row.shown).map((row) => row.step_no)).toEqual([6, 8]);
    // 5 persons left unmatched: both anchors are published elsewhere, so this is a warning.
    expect(gaps).toEqual([{ from_step: 9, to_step: 10, arm: 'treated' }]);
  });
});

describe('a series of counts by month', () => {
  const everEmployed = `select * from (values
      ('matched', 'IPS', 1, 0), ('matched', 'IPS', 2, 12), ('matched', 'IPS', 3, 15),
      ('matched', 'IPS', 4, 30), ('matched', 'IPS', 5, 31), ('matched', 'IPS', 6, 45),
      ('matched', 'TVR', 1, 5), ('matched', 'TVR', 2, 9), ('matched', 'TVR', 3, 20)
    ) as t(weighting, arm, event_month, persons_ever_employed)`;

  async function hidden(source: string, rule: ReturnType<typeof seriesRule>, columns: string): Promise<string[]> {
    const rows = await withDatabase(async (db) => {
      await discloseRows(db, [{ name: 'series', source, orderBy: columns, rules: () => [rule] }], 10);
      return db.query<Record<string, string | number | null>>(
        'read',
        `select ${columns}, ${rule.count} from disclosed_series order by ${columns}`,
      );
    });
    return rows
      .filter((row) => row[rule.count] === null)
      .map((row) =>
        columns
          .split(', ')
          .map((column) => row[column])
          .join(' '),
      );
  }

  test('a cumulative count is left out when it exceeds the last published one by 1 to 9 persons, starting from 0', async () => {
    const rule = seriesRule(10, 'persons_ever_employed', { group: ['weighting', 'arm'], order: 'event_month' });
    // IPS: 0, 12 shown; 15 (+3) hidden; 30 (+18 from 12) shown; 31 hidden; 45 (+15) shown. TVR: 5, 9 (from 0) hidden, 20 shown.
    expect(await hidden(everEmployed, rule, 'arm, event_month')).toEqual(['IPS 3', 'IPS 5', 'TVR 1', 'TVR 2']);
  });

  test('walked backward, the last count of a series is kept and the months before are thinned out', async () => {
    const rule = seriesRule(10, 'persons_ever_employed', { group: ['weighting', 'arm'], order: 'event_month', backward: true });
    // IPS from month 6: 45 shown; 31 (-14) shown; 30 (-1) hidden; 15 (-16) shown; 12 (-3) hidden; 0 (-15) shown.
    // TVR: 20 shown; 9 (-11) shown (and hidden by no other rule here); 5 (-4) hidden.
    expect(await hidden(everEmployed, rule, 'arm, event_month')).toEqual(['IPS 2', 'IPS 4', 'TVR 1']);
  });

  test('a decreasing count starts from the size of its sample, and rows outside the rule are not walked', async () => {
    const source = `select * from (values
        ('observed', 0, 100, 100), ('observed', 1, 97, 100), ('observed', 2, 80, 100),
        ('death', 1, 3, 100), ('death', 2, 20, 100)
      ) as t(status, event_month, persons, sample_persons)`;
    const rule = seriesRule(10, 'persons', {
      group: ['status'],
      order: 'event_month',
      start: 'sample_persons',
      applies: "status = 'observed'",
    });
    // observed: 100 (= the sample) shown, 97 (-3) hidden, 80 (-20 from 100) shown; deaths are not walked.
    expect(await hidden(source, rule, 'status, event_month')).toEqual(['observed 1']);
  });
});
