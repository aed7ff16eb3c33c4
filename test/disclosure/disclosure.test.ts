import { describe, expect, test } from 'vitest';
import { applyDisclosureControl, minPersonsRule, type ExportTable } from '../../src/disclosure/index.js';
import { withDatabase } from '../support/delivery.js';

const effects: ExportTable = {
  name: 'effects',
  source: 'select * from (values (1, 0.1, 9, 50), (2, 0.2, 10, 50), (3, 0.3, 10, 9)) as t(event_month, estimate, n_treated, n_control)',
  orderBy: 'event_month',
  rules: (threshold) => [
    minPersonsRule(threshold, 'n_treated', ['estimate']),
    minPersonsRule(threshold, 'n_control', ['estimate']),
  ],
};

async function disclose(threshold: number) {
  return withDatabase(async (db) => {
    const report = await applyDisclosureControl(db, [effects], threshold);
    const rows = await db.query('read', 'select * from disclosed_effects order by event_month');
    return { report, rows };
  });
}

describe('applyDisclosureControl', () => {
  test.each([
    [9, 'suppressed'],
    [10, 'shown'],
  ])('a count of %i persons at threshold 10 is %s, with the estimate computed from it', async (persons, status) => {
    const { rows } = await disclose(10);
    const row = rows.find((candidate) => (candidate as { event_month: number }).event_month === (persons === 9 ? 1 : 2))!;
    if (status === 'suppressed') expect(row).toMatchObject({ n_treated: null, estimate: null, n_control: 50 });
    else expect(row).toMatchObject({ n_treated: 10, estimate: 0.2 });
  });

  test('disclosure.json counts each changed cell once, per column', async () => {
    const { report } = await disclose(10);
    expect(report.tables[0]).toMatchObject({
      table: 'effects',
      rows: 3,
      cells_suppressed: { n_treated: 1, n_control: 1, estimate: 2 },
    });
    expect(report.tables[0]!.checks.map((check) => [check.rule, check.rows_affected])).toEqual([
      ['min_persons:n_treated', 1],
      ['min_persons:n_control', 1],
    ]);
  });

  test('a lower threshold suppresses nothing here', async () => {
    const { report } = await disclose(9);
    expect(Object.values(report.tables[0]!.cells_suppressed)).toEqual([0, 0, 0]);
  });
});
