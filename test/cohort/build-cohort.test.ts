/**
 * sql/cohort/05_build_cohort.sql: the first follow-up month a cohort person
 * is not observed, and why. Index date 2013-01-15 throughout, so event month
 * m is calendar month 2013-01 + m.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cohortStage } from '../../src/cohort/index.js';
import { Database } from '../../src/db/database.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { uncompressedSegments } from '../support/storage.js';
import { TEST_THREADS } from '../support/threads.js';
import { demoStudy, loadWarehouse, type Row } from '../support/warehouse.js';

const INDEX = '2013-01-15';

/** A payroll period of person A from the 1st to the 28th of `month` (YYYY-MM). */
function periodOfA(month: string, hours: number): Row {
  return {
    period_id: `W${month}`,
    person_id: 'A',
    job_id: 'J',
    employer_id: 'E',
    period_start: `${month}-01`,
    period_end: `${month}-28`,
    hours_paid: hours,
    wage_eur: 10 * hours,
    job_type: 'REGULAR',
  };
}

async function censoring(persons: Row[], laterTrajectories: Row[] = [], censorControls = false) {
  return withDatabase(async (db) => {
    await loadWarehouse(db, {
      persons: persons.map((row) => ({ birth_year: 1975, sex: 'M', ...row })),
      benefit_spells: persons.map((row) => ({
        spell_id: `S${row.person_id}`,
        person_id: row.person_id,
        benefit_type: 'WGA',
        start_date: '2010-01-01',
        monthly_amount_eur: 1000,
      })),
      trajectories: [
        ...persons.map((row) => ({
          trajectory_id: `T${row.person_id}`,
          person_id: row.person_id,
          programme: row.person_id === 'X' ? 'TVR' : 'IPS',
          start_date: INDEX,
          provider_id: 'PR1',
          funder: 'UWV',
        })),
        ...laterTrajectories,
      ],
    });
    await cohortStage.run({ db, study: demoStudy({ arms: { censor_control_at_treatment: censorControls } }), runId: 'r', landing: '' });
    return db.query<{
      person_id: string;
      censoring_event_month: number | null;
      censoring_reason: string | null;
      crossover_event_month: number | null;
    }>('cohort', 'select person_id, censoring_event_month, censoring_reason, crossover_event_month from cohort order by person_id');
  });
}

describe('censoring', () => {
  test('a death on the first or the last day of a month leaves that month unobserved, the month before observed', async () => {
    expect(
      await censoring([
        { person_id: 'A', death_date: '2014-03-01' }, // 2014-03 = event month 14
        { person_id: 'B', death_date: '2014-03-31' }, // 14
        { person_id: 'C', death_date: '2014-02-28' }, // 13
        { person_id: 'D', emigration_date: '2013-01-20' }, // the index month itself: 0
        { person_id: 'E', death_date: '2016-02-01' }, // 37: after the 36-month follow-up
      ]),
    ).toEqual([
      { person_id: 'A', censoring_event_month: 14, censoring_reason: 'death', crossover_event_month: null },
      { person_id: 'B', censoring_event_month: 14, censoring_reason: 'death', crossover_event_month: null },
      { person_id: 'C', censoring_event_month: 13, censoring_reason: 'death', crossover_event_month: null },
      { person_id: 'D', censoring_event_month: 0, censoring_reason: 'emigration', crossover_event_month: null },
      { person_id: 'E', censoring_event_month: null, censoring_reason: null, crossover_event_month: null },
    ]);
  });

  test('state-pension age censors from the month it is reached; on the same month a death comes first', async () => {
    expect(
      await censoring([
        // born May 1950: 65 + 3 months, reached in 2015-08 = event month 31
        { person_id: 'P', birth_year: 1950, birth_month: 5 },
        { person_id: 'Q', birth_year: 1950, birth_month: 5, death_date: '2015-08-20' },
        // born 1950, month unknown: January assumed, 65 + 3 months from 1950-01 = 2015-04 = event month 27
        { person_id: 'R', birth_year: 1950 },
      ]),
    ).toEqual([
      { person_id: 'P', censoring_event_month: 31, censoring_reason: 'state_pension_age', crossover_event_month: null },
      { person_id: 'Q', censoring_event_month: 31, censoring_reason: 'death', crossover_event_month: null },
      { person_id: 'R', censoring_event_month: 27, censoring_reason: 'state_pension_age', crossover_event_month: null },
    ]);
  });

  test.each([
    [false, null, null],
    [true, 17, 'started_treated_programme'],
  ])('a control who starts IPS in event month 17, censor_control_at_treatment %s', async (censor, month, reason) => {
    const later = [{ trajectory_id: 'TX2', person_id: 'X', programme: 'IPS', start_date: '2014-06-10', provider_id: 'PR2', funder: 'UWV' }];
    expect(await censoring([{ person_id: 'X' }], later, censor)).toEqual([
      { person_id: 'X', censoring_event_month: month, censoring_reason: reason, crossover_event_month: 17 },
    ]);
  });
});

describe('prior work', () => {
  test('counts the months of at least min_hours_any competitive hours among the 12 and the 24 before the index month', async () => {
    // index month 2013-01: the 24 months are 2011-01 to 2012-12, the 12 months 2012-01 to 2012-12
    const periods: [string, number][] = [
      ['2010-12', 60], // before the 24 months
      ['2011-06', 20], // at least one hour, under 48: counts
      ['2012-03', 60],
      ['2012-05', 0.5], // under one hour
    ];
    const [row] = await withDatabase(async (db) => {
      await loadWarehouse(db, {
        persons: [{ person_id: 'A', birth_year: 1975, sex: 'M' }],
        benefit_spells: [{ spell_id: 'S', person_id: 'A', benefit_type: 'WGA', start_date: '2010-01-01', monthly_amount_eur: 1000 }],
        employment_periods: periods.map(([month, hours]) => periodOfA(month, hours)),
        trajectories: [{ trajectory_id: 'T', person_id: 'A', programme: 'IPS', start_date: INDEX, provider_id: 'PR1', funder: 'UWV' }],
      });
      await cohortStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
      return db.query<{ months_worked_12m: number; months_worked_24m: number }>(
        'cohort',
        'select months_worked_12m::integer as months_worked_12m, months_worked_24m::integer as months_worked_24m from cohort',
      );
    });
    expect(row).toEqual({ months_worked_12m: 1, months_worked_24m: 2 });
  });
});

describe('the stage in a run catalog', () => {
  test('leaves the tables it made compressed, as a checkpoint would', async () => {
    const db = await Database.open(join(makeTempDir('ipslink-cohort-'), 'warehouse.duckdb'), { threads: TEST_THREADS });
    try {
      await loadWarehouse(db, {
        persons: [{ person_id: 'A', birth_year: 1975, sex: 'M' }],
        // a period in each of the 40 months from 2009-01
        employment_periods: Array.from({ length: 40 }, (_, month) =>
          periodOfA(`${2009 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`, 60),
        ),
        trajectories: [{ trajectory_id: 'T', person_id: 'A', programme: 'IPS', start_date: INDEX, provider_id: 'PR1', funder: 'UWV' }],
      });
      await db.attachRunCatalog();
      await cohortStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
      const [{ months }] = (await db.query<{ months: number }>('months', 'select count(*)::integer as months from person_month_work')) as [
        { months: number },
      ];
      expect(months).toBe(40);
      // as a checkpoint now would leave it (DuckDB chooses each segment's compression, so not a count of 0)
      const asLeft = await uncompressedSegments(db, 'person_month_work');
      expect(await db.checkpointRunCatalog('checkpoint')).toBe(true);
      expect(asLeft).toBe(await uncompressedSegments(db, 'person_month_work'));
    } finally {
      db.close();
    }
  });
});
