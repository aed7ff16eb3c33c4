/**
 * sql/panel/01_build_panel.sql: which person-months are observed, and the
 * benefit outcomes with the study's scope. The cohort row is given by hand:
 * index month 2013-01, so event month m is calendar month 2013-01 + m.
 */
import { describe, expect, test } from 'vitest';
import { panelStage } from '../../src/panel/index.js';
import { withDatabase } from '../support/delivery.js';
import { demoStudy, loadWarehouse, type WarehouseRows } from '../support/warehouse.js';

interface PanelRow {
  event_month: number;
  observed: boolean;
  employed_any: boolean | null;
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
    await db.run(
      'work',
      `create table person_month_work as
       select 'P' as person_id, date '2013-03-01' as calendar_month, 60.0::decimal(18, 4) as competitive_hours, 600.0::decimal(18, 4) as wage_eur`,
    );
    await panelStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
    return db.query<PanelRow>(
      'panel',
      `select event_month, observed, employed_any, hours::double as hours, on_benefit, benefit_eur::double as benefit_eur,
           on_any_benefit, any_benefit_eur::double as any_benefit_eur
       from panel_person_month where list_contains($months, event_month) order by event_month`,
      { months },
    );
  });
}

const SPELLS: WarehouseRows = {
  benefit_spells: [
    // qualifying WGA to the end of June 2013, then WW (not qualifying) from 16 July to the end of 2013
    { spell_id: 'S1', person_id: 'P', benefit_type: 'WGA', start_date: '2010-01-01', end_date: '2013-06-30', monthly_amount_eur: 1500 },
    { spell_id: 'S2', person_id: 'P', benefit_type: 'WW', start_date: '2013-07-16', end_date: '2013-12-31', monthly_amount_eur: 3100 },
  ],
};

describe('the panel', () => {
  test('on_benefit and benefit_eur count the qualifying benefits; the any_ outcomes count WW too', async () => {
    expect(await panel(SPELLS, null, [2, 5, 6])).toEqual([
      { event_month: 2, observed: true, employed_any: true, hours: 60, on_benefit: true, benefit_eur: 1500, on_any_benefit: true, any_benefit_eur: 1500 },
      { event_month: 5, observed: true, employed_any: false, hours: 0, on_benefit: true, benefit_eur: 1500, on_any_benefit: true, any_benefit_eur: 1500 },
      // WW for 16 of July's 31 days: 3100 x 16 / 31 = 1600
      { event_month: 6, observed: true, employed_any: false, hours: 0, on_benefit: false, benefit_eur: 0, on_any_benefit: true, any_benefit_eur: 1600 },
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

  test('a month outside the coverage of either extract is not observed, never read as zero', async () => {
    const rows = await panel(
      { ...SPELLS, coverage: { employment_periods: { from: '2000-01', to: '2013-04' }, benefit_spells: { from: '2013-03', to: '2021-05' } } },
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
