/**
 * sql/panel/01_build_panel.sql: which person-months are observed, and the
 * benefit outcomes with the study's scope. The cohort row is given by hand:
 * index month 2013-01, so event month m is calendar month 2013-01 + m.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { payrollSpreadParams } from '../../src/cohort/index.js';
import { Database } from '../../src/db/database.js';
import { buildPanel, panelStage } from '../../src/panel/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { uncompressedSegments } from '../support/storage.js';
import { TEST_THREADS } from '../support/threads.js';
import { demoStudy, loadWarehouse, type WarehouseRows } from '../support/warehouse.js';

interface PanelRow {
  event_month: number;
  observed: boolean;
  employed_any: boolean | null;
  employed_48h: boolean | null;
  hours: number | null;
  on_benefit: boolean | null;
  benefit_eur: number | null;
  on_any_benefit: boolean | null;
  any_benefit_eur: number | null;
}

async function panel(rows: WarehouseRows, censoringEventMonth: number | null, months: number[]): Promise<PanelRow[]> {
  return withDatabase(async (db) => {
    await loadWarehouse(db, rows);
    await db.run(
      'cohort',
      `create table cohort as select 'P' as person_id, date '2013-01-01' as index_month, $month::integer as censoring_event_month`,
      { month: censoringEventMonth },
    );
    await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
    await panelStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
    return db.query<PanelRow>(
      'panel',
      `select event_month, observed, employed_any, employed_48h, hours::double as hours, on_benefit, benefit_eur::double as benefit_eur,
           on_any_benefit, any_benefit_eur::double as any_benefit_eur
       from panel_person_month where list_contains($months, event_month) order by event_month`,
      { months },
    );
  });
}

/** One payroll period of 60 hours in March 2013 (event month 2). */
function period(period_id: string, start: string, end: string, hours: number): Record<string, string | number> {
  return {
    period_id,
    person_id: 'P',
    job_id: 'J',
    employer_id: 'E',
    period_start: start,
    period_end: end,
    hours_paid: hours,
    wage_eur: 10 * hours,
    job_type: 'REGULAR',
  };
}

const SPELLS: WarehouseRows = {
  trajectories: [{ trajectory_id: 'T', person_id: 'P', programme: 'IPS', start_date: '2013-01-15', provider_id: 'PR1', funder: 'UWV' }],
  employment_periods: [period('W1', '2013-03-01', '2013-03-31', 60)],
  benefit_spells: [
    // qualifying WGA to the end of June 2013, then WW (not qualifying) from 16 July to the end of 2013
    { spell_id: 'S1', person_id: 'P', benefit_type: 'WGA', start_date: '2010-01-01', end_date: '2013-06-30', monthly_amount_eur: 1500 },
    { spell_id: 'S2', person_id: 'P', benefit_type: 'WW', start_date: '2013-07-16', end_date: '2013-12-31', monthly_amount_eur: 3100 },
  ],
};

describe('the panel', () => {
  test('on_benefit and benefit_eur count the qualifying benefits; the any_ outcomes count WW too', async () => {
    expect(await panel(SPELLS, null, [2, 5, 6])).toEqual([
      {
        event_month: 2,
        observed: true,
        employed_any: true,
        employed_48h: true,
        hours: 60,
        on_benefit: true,
        benefit_eur: 1500,
        on_any_benefit: true,
        any_benefit_eur: 1500,
      },
      {
        event_month: 5,
        observed: true,
        employed_any: false,
        employed_48h: false,
        hours: 0,
        on_benefit: true,
        benefit_eur: 1500,
        on_any_benefit: true,
        any_benefit_eur: 1500,
      },
      // WW for 16 of July's 31 days: 3100 x 16 / 31 = 1600
      {
        event_month: 6,
        observed: true,
        employed_any: false,
        employed_48h: false,
        hours: 0,
        on_benefit: false,
        benefit_eur: 0,
        on_any_benefit: true,
        any_benefit_eur: 1600,
      },
    ]);
  });

  test('months from the censoring month on are not observed and have no outcomes', async () => {
    const rows = await panel(SPELLS, 3, [2, 3, 36]);
    expect(rows.map((row) => [row.event_month, row.observed, row.employed_any, row.hours, row.on_benefit, row.any_benefit_eur])).toEqual([
      [2, true, true, 60, true, 1500],
      [3, false, null, null, null, null],
      [36, false, null, null, null, null],
    ]);
  });

  test('the 1 and 48 hour thresholds are decided on the exact hours, not on hours rounded to 2 decimals', async () => {
    // Four-week periods: 61.09 h with 22 of 28 days in May 2013 (event month 4) = 47.9993 h;
    // 27.99 h with 1 of 28 days in August (month 7) = 0.9996 h. Both round to the threshold.
    const periods = [period('W2', '2013-05-10', '2013-06-06', 61.09), period('W3', '2013-08-31', '2013-09-27', 27.99)];
    const rows = await panel({ ...SPELLS, employment_periods: periods }, null, [4, 7]);
    expect(rows.map((row) => [row.event_month, row.hours, row.employed_any, row.employed_48h])).toEqual([
      [4, 48, true, false],
      [7, 1, false, false],
    ]);
  });

  test('a month outside the coverage of either extract is not observed, never read as zero', async () => {
    const rows = await panel(
      {
        ...SPELLS,
        coverage: { employment_periods: { from: '2000-01', to: '2013-04' }, benefit_spells: { from: '2013-03', to: '2021-05' } },
      },
      null,
      [1, 2, 3, 4],
    );
    // employment covered to 2013-04 (month 3), benefits from 2013-03 (month 2)
    expect(rows.map((row) => [row.event_month, row.observed, row.hours])).toEqual([
      [1, false, null],
      [2, true, 60],
      [3, true, 0],
      [4, false, null],
    ]);
  });
});

describe('a person-month keyed by person and event month', () => {
  test("a person's work outside its window never lands in the neighbouring person's months", async () => {
    // A's window ends at 2016-01 (event 36), B's starts at 2014-03 (event -24): A's work one month past its window and
    // B's one month before its own would, unfiltered, take the other's first or last key
    const rows = await withDatabase(async (db) => {
      await loadWarehouse(db, {
        ...SPELLS,
        trajectories: ['A', 'B'].map((person_id) => ({ ...SPELLS.trajectories![0], trajectory_id: person_id, person_id })),
        employment_periods: [
          { ...period('W1', '2016-02-01', '2016-02-29', 60), person_id: 'A' },
          { ...period('W2', '2014-02-01', '2014-02-28', 60), person_id: 'B' },
        ],
      });
      await db.run(
        'cohort',
        `create table cohort as
         select * from (values ('A', date '2013-01-01', null::integer), ('B', date '2016-03-01', null::integer))
             as t(person_id, index_month, censoring_event_month)`,
      );
      await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
      await panelStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
      return db.query<{ person_id: string; event_month: number; observed: boolean; hours: number }>(
        'panel',
        `select person_id, event_month, observed, hours::double as hours from panel_person_month
         where (person_id = 'A' and event_month = 36) or (person_id = 'B' and event_month = -24) order by person_id`,
      );
    });
    expect(rows).toEqual([
      { person_id: 'A', event_month: 36, observed: true, hours: 0 },
      { person_id: 'B', event_month: -24, observed: true, hours: 0 },
    ]);
  });
});

describe('the panel built in chunks of persons', () => {
  test('has the same rows in the same order as the panel built at once, each person numbered in person_id order', async () => {
    const build = (rowsPerChunk?: number) =>
      withDatabase(async (db) => {
        await loadWarehouse(db, SPELLS);
        // P has work and benefits; the others none, and they sort on both sides of it
        await db.run(
          'cohort',
          `create table cohort as
           select person_id, date '2013-01-01' as index_month, null::integer as censoring_event_month
           from (values ('A'), ('P'), ('B'), ('Z'), ('Q')) as t(person_id)`,
        );
        await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
        await buildPanel(db, demoStudy(), rowsPerChunk);
        return db.query<Record<string, unknown>>(
          'panel',
          'select * exclude (hours, wage_eur, benefit_eur, any_benefit_eur), hours::double as hours, benefit_eur::double as benefit_eur from panel_person_month order by rowid',
        );
      });
    const atOnce = await build();
    expect(atOnce).toHaveLength(5 * 61);
    expect(atOnce.filter((row) => row.employed_any === true).length).toBeGreaterThan(0);
    // person_key: what the estimate joins persons to their months on, and orders them by (00_mask_observed_months.sql)
    expect([...new Set(atOnce.map((row) => `${row.person_id} ${row.person_key}`))]).toEqual(['A 0', 'B 1', 'P 2', 'Q 3', 'Z 4']);
    // 61 rows a chunk: one person each
    expect(await build(61)).toEqual(atOnce);
  });

  test('is compressed chunk by chunk in the run catalog, not held as written', async () => {
    const db = await Database.open(join(makeTempDir('ipslink-panel-'), 'warehouse.duckdb'), { threads: TEST_THREADS });
    try {
      await loadWarehouse(db, SPELLS);
      await db.attachRunCatalog();
      await db.run(
        'cohort',
        `create table cohort as
         select 'P' || lpad(range::varchar, 4, '0') as person_id, date '2013-01-01' as index_month, null::integer as censoring_event_month
         from range(4000)`,
      );
      await db.runFile('cohort/01_spread_payroll_hours.sql', payrollSpreadParams(demoStudy().outcomes));
      // four chunks, each far below DuckDB's own checkpoint threshold
      await buildPanel(db, demoStudy(), 1 << 16);
      const [{ rows }] = (await db.query<{ rows: number }>('rows', 'select count(*)::integer as rows from panel_person_month')) as [
        { rows: number },
      ];
      expect(rows).toBe(4000 * 61);
      // as a checkpoint now would leave it (DuckDB keeps some short strings uncompressed by choice)
      const asBuilt = await uncompressedSegments(db, 'panel_person_month');
      expect(await db.checkpointRunCatalog('checkpoint')).toBe(true);
      expect(asBuilt).toBe(await uncompressedSegments(db, 'panel_person_month'));
    } finally {
      db.close();
    }
  });
});
