/**
 * sql/monitor/01_count_active_at_work.sql: programme monitoring counts a
 * person as active only while alive and resident, and reports only quarters
 * the employment extract covers.
 */
import { describe, expect, test } from 'vitest';
import { payrollSpreadParams } from '../../src/cohort/index.js';
import { withDatabase } from '../support/delivery.js';
import { demoStudy, loadWarehouse } from '../support/warehouse.js';

describe('persons active and at work per quarter', () => {
  test('a death ends activity; a quarter past the employment coverage is not reported as out of work', async () => {
    const rows = await withDatabase(async (db) => {
      await loadWarehouse(db, {
        persons: [
          { person_id: 'A', birth_year: 1980, sex: 'F' },
          { person_id: 'B', birth_year: 1980, sex: 'M', death_date: '2015-05-10' },
        ],
        employment_periods: ['03', '09'].map((month) => ({
          period_id: `W${month}`,
          person_id: 'A',
          job_id: 'J',
          employer_id: 'E',
          period_start: `2015-${month}-01`,
          period_end: `2015-${month}-30`,
          // under 48 hours in September: at least one hour is at work
          hours_paid: month === '09' ? 20 : 80,
          wage_eur: 800,
          job_type: 'REGULAR',
        })),
        trajectories: ['A', 'B'].map((id) => ({
          trajectory_id: `T${id}`,
          person_id: id,
          programme: 'IPS',
          start_date: '2015-01-05',
          end_date: '2015-12-31',
          provider_id: 'PR1',
          funder: 'UWV',
        })),
        // payroll data to September 2015 only
        coverage: { employment_periods: { from: '2010-01', to: '2015-09' }, benefit_spells: { from: '2010-01', to: '2021-05' } },
      });
      await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
      await db.runFile('monitor/01_count_active_at_work.sql', { treated: 'IPS' });
      return db.query<{ quarter: string; persons_active: number; persons_at_work: number }>(
        'read',
        "select quarter, persons_active::int as persons_active, persons_at_work::int as persons_at_work from monitoring_quarter_provider where provider_id = 'all' order by quarter",
      );
    });
    // Q1: both active, A at work. Q2: B died in May. Q3: A at work in September. Q4: December is not covered.
    expect(rows).toEqual([
      { quarter: '2015-Q1', persons_active: 2, persons_at_work: 1 },
      { quarter: '2015-Q2', persons_active: 1, persons_at_work: 0 },
      { quarter: '2015-Q3', persons_active: 1, persons_at_work: 1 },
    ]);
  });
});
