/**
 * sql/link/02_count_linkage.sql on deliveries ingested for real: one row
 * per delivered extract, so a study without the optional healthcare_costs
 * gets exactly the rows it got before; with it, healthcare_costs has its own
 * row after trajectories, with orphans, duplicate keys and superseded rows
 * counted like every other extract's, and attrition's row counts include it.
 */
import { describe, expect, test } from 'vitest';
import { cohortStage } from '../../src/cohort/index.js';
import type { Database } from '../../src/db/database.js';
import { ingestDeliveries } from '../../src/ingest/index.js';
import { linkStage } from '../../src/link/index.js';
import { makeTempDir, type TestFile, withDatabase, writeDelivery } from '../support/delivery.js';
import { demoStudy } from '../support/warehouse.js';

function file(extract: string, header: string, rows: string[]): TestFile {
  return { name: `${extract}.csv`, extract, csv: [header, ...rows, ''].join('\n') };
}

const persons = (rows: string[]) => file('persons', 'person_id,birth_year,sex', rows);
const trajectories = (rows: string[]) =>
  file('trajectories', 'trajectory_id,person_id,programme,start_date,end_date,provider_id,funder,target_group,cost_eur', rows);
const healthcareCosts = (rows: string[]) => file('healthcare_costs', 'person_id,year,category,cost_eur', rows);

interface LinkageRow {
  extract: string;
  rows_read: number;
  rows_rejected: number;
  rows_superseded: number;
  rows_in_force: number;
  persons: number;
  linked_rows: number;
  orphan_rows: number;
  duplicate_key_rows: number;
  coverage_from: string | null;
}

async function linkage(db: Database, landing: string): Promise<LinkageRow[]> {
  await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r' });
  await linkStage.run({ db, study: demoStudy(), runId: 'r', landing });
  return db.query<LinkageRow>(
    'linkage',
    `select extract, rows_read::int as rows_read, rows_rejected::int as rows_rejected, rows_superseded::int as rows_superseded,
        rows_in_force::int as rows_in_force, persons::int as persons, linked_rows::int as linked_rows,
        orphan_rows::int as orphan_rows, duplicate_key_rows::int as duplicate_key_rows, coverage_from
     from linkage`,
  );
}

const PERSONS_ROWS = ['P1,1980,F', 'P2,1975,M'];
const TRAJECTORY_ROWS = ['T1,P1,IPS,2015-03-01,,PR1,UWV,SMI,8000', 'T2,P9,TVR,2015-03-01,,PR2,UWV,,'];

describe('the linkage report', () => {
  test('without any healthcare_costs file has no row for it, and the same rows as the other extracts alone give', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(PERSONS_ROWS), trajectories(TRAJECTORY_ROWS)]);
    const rows = await withDatabase((db) => linkage(db, landing));
    expect(rows).toEqual([
      {
        extract: 'persons',
        rows_read: 2,
        rows_rejected: 0,
        rows_superseded: 0,
        rows_in_force: 2,
        persons: 2,
        linked_rows: 2,
        orphan_rows: 0,
        duplicate_key_rows: 0,
        coverage_from: null,
      },
      {
        extract: 'trajectories',
        rows_read: 2,
        rows_rejected: 0,
        rows_superseded: 0,
        rows_in_force: 2,
        persons: 2,
        linked_rows: 1,
        orphan_rows: 1,
        duplicate_key_rows: 0,
        coverage_from: '2015-03',
      },
    ]);
  });

  test('with healthcare_costs gives it a row after trajectories: an unknown person is an orphan, a repeated key a duplicate, a correction superseded', async () => {
    const landing = makeTempDir();
    writeDelivery(
      landing,
      'd1',
      [
        persons(PERSONS_ROWS),
        trajectories(TRAJECTORY_ROWS),
        // line 3 repeats line 2's key; P3 is in no persons file; line 6 has a category outside the list
        healthcareCosts(['P1,2017,GP,100.00', 'P1,2017,GP,100.00', 'P2,2016,HOSPITAL,2500.00', 'P3,2017,GP,80.00', 'P1,2017,XX,1.00']),
      ],
      '2018-06-30',
    );
    writeDelivery(landing, 'd2', [healthcareCosts(['P1,2017,GP,120.00'])], '2021-06-30');
    await withDatabase(async (db) => {
      const rows = await linkage(db, landing);
      expect(rows.map((row) => row.extract)).toEqual(['persons', 'trajectories', 'healthcare_costs']);
      expect(rows.at(-1)).toEqual({
        extract: 'healthcare_costs',
        rows_read: 6,
        rows_rejected: 2,
        rows_superseded: 1,
        rows_in_force: 3,
        persons: 3,
        linked_rows: 2,
        orphan_rows: 1,
        duplicate_key_rows: 1,
        coverage_from: null,
      });
      // Attrition's rows 1-3 count every extract's rows, healthcare_costs too, as the linkage report does.
      await cohortStage.run({ db, study: demoStudy(), runId: 'r', landing });
      const steps = await db.query<{ step_key: string; n: number }>(
        'attrition',
        'select step_key, n::int as n from attrition where step_no <= 3 order by step_no',
      );
      const sum = (column: 'rows_read' | 'rows_rejected' | 'rows_in_force') => rows.reduce((total, row) => total + row[column], 0);
      expect(steps).toEqual([
        { step_key: 'input_rows', n: sum('rows_read') },
        { step_key: 'accepted_rows', n: sum('rows_read') - sum('rows_rejected') },
        { step_key: 'rows_in_force', n: sum('rows_in_force') },
      ]);
      expect(sum('rows_in_force')).toBe(2 + 2 + 3);
    });
  });

  test('an extract delivered with every row rejected counts 0 in force, 0 persons and 0 orphans, not nothing', async () => {
    const landing = makeTempDir();
    // both rows name a programme outside the contract's list
    writeDelivery(landing, 'd1', [
      persons(PERSONS_ROWS),
      trajectories(['T1,P1,XXX,2015-03-01,,PR1,UWV,SMI,8000', 'T2,P2,YYY,2015-03-01,,PR2,UWV,,']),
    ]);
    const rows = await withDatabase((db) => linkage(db, landing));
    expect(rows.at(-1)).toEqual({
      extract: 'trajectories',
      rows_read: 2,
      rows_rejected: 2,
      rows_superseded: 0,
      rows_in_force: 0,
      persons: 0,
      linked_rows: 0,
      orphan_rows: 0,
      duplicate_key_rows: 0,
      coverage_from: null,
    });
  });
});
