import { describe, expect, test } from 'vitest';
import { payrollSpreadParams } from '../../src/cohort/index.js';
import { createWarehouseTables } from '../../src/ingest/index.js';
import { withDatabase } from '../support/delivery.js';
import { demoStudy } from '../support/warehouse.js';

async function spread(periods: string) {
  return withDatabase(async (db) => {
    await createWarehouseTables(db);
    await db.run('trajectory', "insert into trajectories values ('T1', 'P1', 'IPS', '2015-01-01', null, 'PR1', 'UWV', 'SMI', null, 'd')");
    await db.run('periods', `insert into employment_periods values ${periods}`);
    await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
    return db.query<{ month: string; hours: number; wage: number }>(
      'read',
      "select strftime(calendar_month, '%Y-%m') as month, competitive_hours::double as hours, wage_eur::double as wage from person_month_work order by calendar_month",
    );
  });
}

describe('spreading payroll periods over calendar months', () => {
  test('a four-week period straddling two months is split by days', async () => {
    // 2015-01-19..2015-02-15: 13 days in January, 15 in February.
    const rows = await spread("('E1', 'P1', 'J1', 'W1', '2015-01-19', '2015-02-15', 56, 700, 'REGULAR', 'd')");
    expect(rows).toEqual([
      { month: '2015-01', hours: 26, wage: 325 },
      { month: '2015-02', hours: 30, wage: 375 },
    ]);
  });

  test('two jobs in one month add up; sheltered and intern jobs do not count', async () => {
    const rows = await spread(
      [
        "('E1', 'P1', 'J1', 'W1', '2015-03-01', '2015-03-31', 40, 500, 'REGULAR', 'd')",
        "('E2', 'P1', 'J2', 'W2', '2015-03-01', '2015-03-31', 10, 100, 'ON_CALL', 'd')",
        "('E3', 'P1', 'J3', 'W3', '2015-03-01', '2015-03-31', 80, 800, 'SHELTERED', 'd')",
        "('E4', 'P1', 'J4', 'W4', '2015-03-01', '2015-03-31', 80, 300, 'INTERN', 'd')",
      ].join(', '),
    );
    expect(rows).toEqual([{ month: '2015-03', hours: 50, wage: 600 }]);
  });

  test('shares are rounded to 4 decimals per month, so sums are exact', async () => {
    // 3 days of 28 in one month: 10 * 3 / 28 = 1.0714285... -> 1.0714
    const rows = await spread("('E1', 'P1', 'J1', 'W1', '2015-04-28', '2015-05-25', 10, 0, 'REGULAR', 'd')");
    expect(rows.map((row) => row.hours)).toEqual([1.0714, 8.9286]);
  });
});
