/**
 * Corrected re-deliveries (src/ingest/load-sql.ts): a key loaded from an
 * earlier delivery is replaced by the later extract's version, the old
 * version kept in history; a full file replaces its whole extract; and each
 * file's coverage is recorded, stated or read from its rows.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { EXTRACTS, healthcareCosts } from '../../src/contracts/extracts.js';
import { Database, quoteIdentifier } from '../../src/db/database.js';
import { ingestDeliveries } from '../../src/ingest/index.js';
import { applyIncomingSql, classifyRawRowsSql, createAcceptedTableSql, createSupersededTableSql } from '../../src/ingest/load-sql.js';
import { linkStage } from '../../src/link/index.js';
import { makeTempDir, type TestFile, withDatabase, writeDelivery } from '../support/delivery.js';
import { demoStudy } from '../support/warehouse.js';

const PERSONS_HEADER = 'person_id,birth_year,sex,region,birth_month,death_date,emigration_date';
const SPELLS_HEADER = 'spell_id,person_id,benefit_type,start_date,end_date,monthly_amount_eur,incapacity_cause';
const COSTS_HEADER = 'person_id,year,category,cost_eur';

function persons(rows: string[], mode?: 'incremental' | 'full'): TestFile {
  return { name: 'persons.csv', extract: 'persons', csv: [PERSONS_HEADER, ...rows, ''].join('\n'), mode };
}

function spells(rows: string[], name = 'benefit_spells.csv'): TestFile {
  return { name, extract: 'benefit_spells', csv: [SPELLS_HEADER, ...rows, ''].join('\n') };
}

function costs(rows: string[], mode?: 'incremental' | 'full'): TestFile {
  return { name: 'healthcare_costs.csv', extract: 'healthcare_costs', csv: [COSTS_HEADER, ...rows, ''].join('\n'), mode };
}

async function ingest(db: Database, landing: string) {
  return ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r' });
}

const inForce = (db: Database, sql: string) => db.query<Record<string, unknown>>('test', sql);

describe('a later delivery', () => {
  test('replaces the version of a key in force and keeps the old one with the delivery that superseded it', async () => {
    const landing = makeTempDir();
    writeDelivery(
      landing,
      'd1',
      [persons(['P1,1980,F,,,,', 'P2,1970,M,,,,']), spells(['S1,P1,WGA,2014-01-01,,1500.00,MENTAL'])],
      '2018-06-30',
    );
    writeDelivery(
      landing,
      'd2',
      [persons(['P1,1980,F,,,2019-03-31,', 'P2,1970,M,,,,', 'P3,1990,X,,,,']), spells(['S1,P1,WGA,2014-01-01,2019-03-31,1500.00,MENTAL'])],
      '2021-06-30',
    );
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      const counts = report.files.map((file) => [
        file.delivery_id,
        file.extract,
        file.rows_inserted,
        file.rows_replaced,
        file.rows_unchanged,
        file.rows_stale,
      ]);
      expect(counts).toEqual([
        ['d1', 'benefit_spells', 1, 0, 0, 0],
        ['d1', 'persons', 2, 0, 0, 0],
        ['d2', 'benefit_spells', 0, 1, 0, 0],
        ['d2', 'persons', 1, 1, 1, 0],
      ]);
      expect(
        await inForce(db, "select person_id, strftime(death_date, '%Y-%m-%d') as death, delivery_id from persons order by person_id"),
      ).toEqual([
        { person_id: 'P1', death: '2019-03-31', delivery_id: 'd2' },
        { person_id: 'P2', death: null, delivery_id: 'd1' },
        { person_id: 'P3', death: null, delivery_id: 'd2' },
      ]);
      expect(await inForce(db, "select spell_id, strftime(end_date, '%Y-%m-%d') as end_date from benefit_spells")).toEqual([
        { spell_id: 'S1', end_date: '2019-03-31' },
      ]);
      expect(await inForce(db, 'select spell_id, end_date, delivery_id, superseded_by from benefit_spells_superseded')).toEqual([
        { spell_id: 'S1', end_date: null, delivery_id: 'd1', superseded_by: 'd2' },
      ]);
      expect(await inForce(db, 'select person_id, delivery_id, superseded_by from persons_superseded')).toEqual([
        { person_id: 'P1', delivery_id: 'd1', superseded_by: 'd2' },
      ]);
    });
  });

  test('with an older extract date does not replace the newer version, whatever the order of arrival', async () => {
    const landing = makeTempDir();
    // 'a-late' sorts first, so it is loaded first, but its extract is newer.
    writeDelivery(landing, 'a-late', [persons(['P1,1980,F,,,2019-03-31,'])], '2021-06-30');
    writeDelivery(landing, 'b-early', [persons(['P1,1980,F,,,,', 'P2,1970,M,,,,'])], '2018-06-30');
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(report.files.map((file) => [file.delivery_id, file.rows_inserted, file.rows_stale])).toEqual([
        ['a-late', 1, 0],
        ['b-early', 1, 1],
      ]);
      expect(await inForce(db, "select person_id, strftime(death_date, '%Y-%m-%d') as death from persons order by person_id")).toEqual([
        { person_id: 'P1', death: '2019-03-31' },
        { person_id: 'P2', death: null },
      ]);
      expect(await inForce(db, 'select person_id, death_date, delivery_id, superseded_by from persons_superseded')).toEqual([
        { person_id: 'P1', death_date: null, delivery_id: 'b-early', superseded_by: 'a-late' },
      ]);
    });
  });

  test('on the same extract date, the delivery whose id sorts later wins', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,AMR01,,,'])]);
    writeDelivery(landing, 'd2', [persons(['P1,1980,F,AMR02,,,'])]);
    await withDatabase(async (db) => {
      await ingest(db, landing);
      expect(await inForce(db, 'select region from persons')).toEqual([{ region: 'AMR02' }]);
    });
  });

  test('rows read = rows in force + rejected + superseded, summed over the deliveries', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,', 'P2,1970,M,,,,', 'P2,1970,M,,,,'])], '2018-06-30');
    writeDelivery(landing, 'd2', [persons(['P1,1980,F,,,2019-01-05,', 'P2,1970,M,,,,', 'P4,1970,Q,,,,'])], '2021-06-30');
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      const read = report.files.reduce((sum, file) => sum + file.rows_read, 0);
      const rejected = report.files.reduce((sum, file) => sum + file.rows_rejected, 0);
      const accepted = report.files.reduce((sum, file) => sum + file.rows_accepted, 0);
      for (const file of report.files) expect(file.rows_read).toBe(file.rows_accepted + file.rows_rejected);
      expect([read, accepted, rejected, await db.count('persons')]).toEqual([6, 4, 2, 2]);
    });
  });
});

describe('rows whose person arrives later', () => {
  test('are kept as orphans, and link once a later delivery brings the person, in whatever order the deliveries load', async () => {
    for (const [early, late] of [
      ['d1', 'd2'],
      ['d2', 'd1'],
    ]) {
      const landing = makeTempDir();
      // The earlier extract has P2's spell but not yet P2; the later one has P2.
      writeDelivery(
        landing,
        early!,
        [persons(['P1,1980,F,,,,']), spells(['S1,P1,WGA,2014-01-01,,1500.00,', 'S2,P2,ZW,2015-01-01,,1500.00,'])],
        '2018-06-30',
      );
      writeDelivery(landing, late!, [persons(['P1,1980,F,,,,', 'P2,1970,M,,,,'], 'full')], '2021-06-30');
      await withDatabase(async (db) => {
        await ingest(db, landing);
        await linkStage.run({ db, study: demoStudy(), runId: 'r', landing });
        expect(await inForce(db, 'select spell_id from benefit_spells order by spell_id')).toEqual([
          { spell_id: 'S1' },
          { spell_id: 'S2' },
        ]);
        expect(
          await inForce(db, "select orphan_rows::int as orphans, linked_rows::int as linked from linkage where extract = 'benefit_spells'"),
        ).toEqual([{ orphans: 0, linked: 2 }]);
        expect(await db.count('rejects')).toBe(0);
      });
    }
  });

  test('are counted as orphans while the person is missing', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,']), spells(['S1,P1,WGA,2014-01-01,,1500.00,', 'S2,P2,ZW,2015-01-01,,1500.00,'])]);
    await withDatabase(async (db) => {
      await ingest(db, landing);
      await linkStage.run({ db, study: demoStudy(), runId: 'r', landing });
      expect(
        await inForce(db, "select rows_in_force::int as rows, orphan_rows::int as orphans from linkage where extract = 'benefit_spells'"),
      ).toEqual([{ rows: 2, orphans: 1 }]);
    });
  });
});

describe('a full file', () => {
  test('withdraws every row in force it does not hold, into history', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,', 'P2,1970,M,,,,'])], '2018-06-30');
    writeDelivery(landing, 'd2', [persons(['P1,1980,F,,,,', 'P3,1990,F,,,,'], 'full')], '2021-06-30');
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(report.files.at(-1)).toMatchObject({ mode: 'full', rows_inserted: 1, rows_unchanged: 1, rows_withdrawn: 1 });
      expect(await inForce(db, 'select person_id from persons order by person_id')).toEqual([{ person_id: 'P1' }, { person_id: 'P3' }]);
      expect(await inForce(db, 'select person_id, superseded_by from persons_superseded')).toEqual([
        { person_id: 'P2', superseded_by: 'd2' },
      ]);
    });
  });

  test('older than the rows in force is refused, and nothing of its delivery is loaded', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'a-new', [persons(['P1,1980,F,,,,'])], '2021-06-30');
    writeDelivery(landing, 'b-old', [persons(['P2,1980,F,,,,'], 'full')], '2018-06-30');
    await withDatabase(async (db) => {
      await expect(ingest(db, landing)).rejects.toThrow(
        'b-old/persons.csv: a full file replaces every row of its extract, but rows of the newer delivery a-new (extract date 2021-06-30) are in force',
      );
      expect(await inForce(db, 'select person_id from persons')).toEqual([{ person_id: 'P1' }]);
      expect(await inForce(db, "select count(*)::int as n from ingested_files where delivery_id = 'b-old'")).toEqual([{ n: 0 }]);
    });
  });
});

describe('keys within one delivery', () => {
  test('a key in two files of one extract is a duplicate, not a correction', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [
      persons(['P1,1980,F,,,,']),
      spells(['S1,P1,WGA,2014-01-01,,1500.00,'], 'spells-a.csv'),
      spells(['S1,P1,WGA,2014-01-01,2015-01-01,1500.00,', 'S2,P1,ZW,2013-01-01,2013-12-31,1500.00,'], 'spells-b.csv'),
    ]);
    await withDatabase(async (db) => {
      await ingest(db, landing);
      expect(await inForce(db, "select rule_id, line_number::int as line from rejects where file = 'spells-b.csv'")).toEqual([
        { rule_id: 'benefit_spells.spell_id.duplicate', line: 2 },
      ]);
      expect(await inForce(db, 'select spell_id, end_date from benefit_spells order by spell_id')).toEqual([
        { spell_id: 'S1', end_date: null },
        { spell_id: 'S2', end_date: expect.anything() },
      ]);
    });
  });

  test('a key an earlier file accepted unchanged is a duplicate in a later file of the delivery', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,']), spells(['S1,P1,WGA,2014-01-01,,1500.00,'])], '2018-06-30');
    writeDelivery(
      landing,
      'd2',
      [spells(['S1,P1,WGA,2014-01-01,,1500.00,'], 'spells-a.csv'), spells(['S1,P1,WGA,2014-01-01,2019-03-31,1500.00,'], 'spells-b.csv')],
      '2021-06-30',
    );
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(
        report.files.filter((file) => file.delivery_id === 'd2').map((file) => [file.file, file.rows_unchanged, file.rows_rejected]),
      ).toEqual([
        ['spells-a.csv', 1, 0],
        ['spells-b.csv', 0, 1],
      ]);
      expect(await inForce(db, "select rule_id from rejects where file = 'spells-b.csv'")).toEqual([
        { rule_id: 'benefit_spells.spell_id.duplicate' },
      ]);
      expect(await inForce(db, 'select spell_id, end_date, delivery_id from benefit_spells')).toEqual([
        { spell_id: 'S1', end_date: null, delivery_id: 'd1' },
      ]);
    });
  });

  test("a duplicate's ledger row hashes its raw fields as delivered, and its working tables and variables are gone after", async () => {
    const landing = makeTempDir();
    // line 3 repeats line 2's key, written otherwise (1500.0, not 1500.00); spells-b.csv's line 2 repeats spells-a's
    writeDelivery(landing, 'd1', [
      persons(['P1,1980,F,,,,']),
      spells(['S1,P1,WGA,2014-01-01,,1500.00,', 'S1,P1,WGA,2014-01-01,,1500.0,', 'S2,P1,ZW,2013-01-01,,900,'], 'spells-a.csv'),
      spells(['S2,P1,ZW,2013-01-01,2013-12-31,900.00,MENTAL'], 'spells-b.csv'),
    ]);
    const rawHash = (fields: string[]) => createHash('sha256').update(fields.join('\x1f')).digest('hex');
    await withDatabase(async (db) => {
      await ingest(db, landing);
      expect(await inForce(db, 'select file, line_number::int as line, rule_id, row_hash from rejects order by file, line_number')).toEqual(
        [
          {
            file: 'spells-a.csv',
            line: 3,
            rule_id: 'benefit_spells.spell_id.duplicate',
            row_hash: rawHash(['S1', 'P1', 'WGA', '2014-01-01', '', '1500.0', '']),
          },
          {
            file: 'spells-b.csv',
            line: 2,
            rule_id: 'benefit_spells.spell_id.duplicate',
            row_hash: rawHash(['S2', 'P1', 'ZW', '2013-01-01', '2013-12-31', '900.00', 'MENTAL']),
          },
        ],
      );
      expect(await inForce(db, 'select table_name from duckdb_tables() where temporary order by all')).toEqual([]);
      expect(await inForce(db, 'select name from duckdb_variables() order by all')).toEqual([]);
    });
  });

  test('a delivery refused while its files are read leaves no working table behind', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,']), { ...spells(['S1,P1,WGA,2014-01-01,,1500.00,']), rowCount: 2 }]);
    await withDatabase(async (db) => {
      await expect(ingest(db, landing)).rejects.toThrow('d1/benefit_spells.csv: read 1 data rows, delivery.json says 2');
      expect(await inForce(db, "select table_name from duckdb_tables() where temporary or table_name like 'raw%' order by all")).toEqual(
        [],
      );
      expect(
        await inForce(db, "select view_name from duckdb_views() where not internal and view_name in ('raw_rows', 'incoming')"),
      ).toEqual([]);
      expect(await db.count('persons')).toBe(0);
    });
  });
});

describe('the composite key of healthcare_costs (person_id, year, category)', () => {
  test('a later delivery replaces the row of a person, year and category; other years and categories stay', async () => {
    const landing = makeTempDir();
    writeDelivery(
      landing,
      'd1',
      [persons(['P1,1980,F,,,,']), costs(['P1,2017,GP,100.00', 'P1,2017,MENTAL_HEALTH,4000.00', 'P1,2016,GP,90.00'])],
      '2018-06-30',
    );
    writeDelivery(
      landing,
      'd2',
      [persons(['P1,1980,F,,,,']), costs(['P1,2017,GP,120.00', 'P1,2017,MENTAL_HEALTH,4000.00', 'P1,2018,GP,50.00'])],
      '2021-06-30',
    );
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(
        report.files
          .filter((file) => file.extract === 'healthcare_costs')
          .map((file) => [file.delivery_id, file.rows_inserted, file.rows_replaced, file.rows_unchanged, file.rows_stale]),
      ).toEqual([
        ['d1', 3, 0, 0, 0],
        ['d2', 1, 1, 1, 0],
      ]);
      expect(
        await inForce(db, 'select year, category, cost_eur::varchar as cost, delivery_id from healthcare_costs order by year, category'),
      ).toEqual([
        { year: 2016, category: 'GP', cost: '90.000000', delivery_id: 'd1' },
        { year: 2017, category: 'GP', cost: '120.000000', delivery_id: 'd2' },
        { year: 2017, category: 'MENTAL_HEALTH', cost: '4000.000000', delivery_id: 'd1' },
        { year: 2018, category: 'GP', cost: '50.000000', delivery_id: 'd2' },
      ]);
      expect(
        await inForce(db, 'select year, category, cost_eur::varchar as cost, delivery_id, superseded_by from healthcare_costs_superseded'),
      ).toEqual([{ year: 2017, category: 'GP', cost: '100.000000', delivery_id: 'd1', superseded_by: 'd2' }]);
    });
  });

  test('an older delivery arriving later is kept in history, not in force', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'a-late', [costs(['P1,2017,GP,120.00'])], '2021-06-30');
    writeDelivery(landing, 'b-early', [costs(['P1,2017,GP,100.00', 'P1,2017,HOSPITAL,900.00'])], '2018-06-30');
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(report.files.map((file) => [file.delivery_id, file.rows_inserted, file.rows_stale])).toEqual([
        ['a-late', 1, 0],
        ['b-early', 1, 1],
      ]);
      expect(await inForce(db, 'select category, cost_eur::double as cost from healthcare_costs order by category')).toEqual([
        { category: 'GP', cost: 120 },
        { category: 'HOSPITAL', cost: 900 },
      ]);
      expect(await inForce(db, 'select category, delivery_id, superseded_by from healthcare_costs_superseded')).toEqual([
        { category: 'GP', delivery_id: 'b-early', superseded_by: 'a-late' },
      ]);
    });
  });

  test('within one delivery, a repeated person, year and category is rejected as healthcare_costs.key.duplicate; another category or year is not', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [
      persons(['P1,1980,F,,,,']),
      costs(['P1,2017,GP,100.00', 'P1,2017,GP,120.00', 'P1,2017,HOSPITAL,100.00', 'P1,2016,GP,100.00', 'P2,2017,GP,100.00']),
    ]);
    await withDatabase(async (db) => {
      await ingest(db, landing);
      expect(await inForce(db, "select line_number::int as line, rule_id, reason from rejects where extract = 'healthcare_costs'")).toEqual(
        [
          {
            line: 3,
            rule_id: 'healthcare_costs.key.duplicate',
            reason: 'the key (person_id, year, category) must be unique within a delivery; the first occurrence is kept',
          },
        ],
      );
      expect(
        await inForce(
          db,
          "select cost_eur::double as cost from healthcare_costs where year = 2017 and category = 'GP' and person_id = 'P1'",
        ),
      ).toEqual([{ cost: 100 }]);
      expect(await db.count('healthcare_costs')).toBe(4);
    });
  });

  test('a full file withdraws every person, year and category in force that it does not hold', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [costs(['P1,2016,GP,90.00', 'P1,2017,GP,100.00', 'P2,2017,GP,80.00'])], '2018-06-30');
    writeDelivery(landing, 'd2', [costs(['P1,2017,GP,110.00', 'P2,2017,GP,80.00'], 'full')], '2021-06-30');
    await withDatabase(async (db) => {
      const report = await ingest(db, landing);
      expect(report.files.at(-1)).toMatchObject({ mode: 'full', rows_replaced: 1, rows_unchanged: 1, rows_withdrawn: 1 });
      expect(await inForce(db, 'select person_id, year, cost_eur::double as cost from healthcare_costs order by person_id')).toEqual([
        { person_id: 'P1', year: 2017, cost: 110 },
        { person_id: 'P2', year: 2017, cost: 80 },
      ]);
      expect(await inForce(db, 'select person_id, year, superseded_by from healthcare_costs_superseded order by person_id, year')).toEqual([
        { person_id: 'P1', year: 2016, superseded_by: 'd2' },
        { person_id: 'P1', year: 2017, superseded_by: 'd2' },
      ]);
    });
  });
});

describe('coverage', () => {
  test('is read from delivery.json when stated, else from the first to the last month of the rows, never past the extract date', async () => {
    const landing = makeTempDir();
    writeDelivery(
      landing,
      'd1',
      [
        persons(['P1,1980,F,,,,']),
        spells(['S1,P1,WGA,2009-03-15,2012-01-31,1500.00,', 'S2,P1,ZW,2011-05-02,,1500.00,']),
        {
          name: 'employment_periods.csv',
          extract: 'employment_periods',
          csv: 'period_id,person_id,job_id,employer_id,period_start,period_end,hours_paid,wage_eur,job_type\nW1,P1,J1,E1,2010-01-01,2010-01-31,100,1000,REGULAR\n',
        },
      ],
      '2021-06-15',
      { employment_periods: { from: '2006-01', to: '2021-05' } },
    );
    await withDatabase(async (db) => {
      await ingest(db, landing);
      expect(
        await inForce(
          db,
          "select extract, strftime(coverage_from, '%Y-%m') as from_month, strftime(coverage_to, '%Y-%m') as to_month, source from extract_coverage order by extract",
        ),
      ).toEqual([
        // an open spell reaches the extract date; June 2021 is not complete on the 15th
        { extract: 'benefit_spells', from_month: '2009-03', to_month: '2021-05', source: 'data' },
        { extract: 'employment_periods', from_month: '2006-01', to_month: '2021-05', source: 'delivery.json' },
      ]);
    });
  });
});

describe('the warehouse', () => {
  test('built by an older ipslink is refused with what to do', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons(['P1,1980,F,,,,'])]);
    await withDatabase(async (db) => {
      await db.run('old warehouse', 'create table ingested_files (delivery_id varchar)');
      await expect(ingest(db, landing)).rejects.toThrow(/schema version 1, this ipslink needs 2; move the warehouse aside/);
    });
  });
});

describe("a file's classified rows", () => {
  // The first delivery's rows go into force as classified holds them, unsorted (applyIncomingSql), so classify
  // must keep the raw rows' order: DuckDB writes a query's rows in batches, in order, only when no operator of its
  // plan (a join, say) can reorder them. Too small a file would keep its order on any plan, so the plan is checked.
  test.each(EXTRACTS.map((extract) => [extract.name, extract] as const))('of %s keep the order of the raw rows', async (_name, extract) => {
    await withDatabase(async (db) => {
      // a run's plan on two cores: with one thread (the tests' databases) nothing reorders, and DuckDB writes unbatched
      await db.run('threads', 'set threads = 2');
      const columns = extract.columnNames.map((column) => `"${column}" varchar`).join(', ');
      await db.run(
        'raw rows',
        `create temp table raw_rows (line_number bigint, ${columns});
         create temp table raw_malformed (line_number bigint, row_hash varchar, error_type varchar)`,
      );
      const [create] = classifyRawRowsSql(extract, { extractDate: '2024-12-31' }, 'classified_0').split(';\n');
      const plan = await db.query<{ explain_value: string }>('plan', `explain ${create}`);
      expect(plan.map((row) => row.explain_value).join('\n')).toContain('BATCH_CREATE_TABLE_AS');
    });
  });
});

describe("a later delivery's accepted rows", () => {
  // They go into force read from the file's classified table, in line order, filtered on the lines `incoming`
  // (a join, so unordered) puts in force: no sort (applyIncomingSql). The order is kept only if the insert reads
  // the one table through filters (DuckDB's order-keeping insert), so the plan is checked, as above.
  test.each(EXTRACTS.map((extract) => [extract.name, extract] as const))(
    'of %s go into force unsorted, in line order',
    async (_name, extract) => {
      const db = await Database.open(join(makeTempDir(), 'warehouse.duckdb'), { threads: 2 });
      try {
        await db.run('accepted', `${createAcceptedTableSql(extract)}; ${createSupersededTableSql(extract)}`);
        // person_id (every extract has one) carries the line number
        const typed = extract.columnNames.map((column) =>
          column === 'person_id'
            ? "lpad(range::varchar, 6, '0') as person_id"
            : `null::${extract.columns[column]!.duckdbType} as ${quoteIdentifier(column)}`,
        );
        await db.run(
          'classified and incoming',
          `create temp table classified_0 as select ${typed.join(', ')}, range as line_number from range(100000);
         create temp table incoming as
         select *, null::varchar as in_force_delivery_id, if(line_number % 3 = 0, 'unchanged', 'inserted') as status
         from classified_0 order by hash(line_number)`,
        );
        const statements = applyIncomingSql(extract, 'incremental', { read: 'classified', classified: 'classified_0', lastLine: 99999 })
          .split(';\n')
          .filter((statement) => statement.trim());
        const insert = statements.pop()!;
        await db.run('apply', statements.join(';\n'), { delivery_id: 'd2' });
        const plan = await db.query<{ explain_value: string }>('plan', `explain ${insert}`, { delivery_id: 'd2' });
        const operators = plan.map((row) => row.explain_value).join('\n');
        expect(operators).toContain('BATCH_INSERT');
        expect(operators).not.toContain('ORDER_BY');
        await db.run('insert', insert, { delivery_id: 'd2' });
        const [inForce] = await db.query<{ rows: number; lines: number; inOrder: boolean }>(
          'in force',
          `select count(*)::integer as rows, count(*) filter (where line % 3 = 0)::integer as lines, bool_and(line > previous) as inOrder
         from (select person_id::integer as line, lag(person_id::integer, 1, -1) over (order by rowid) as previous
               from ${quoteIdentifier(extract.name)})`,
        );
        // the lines incoming puts in force, in line order
        expect(inForce).toEqual({ rows: 66666, lines: 0, inOrder: true });
      } finally {
        db.close();
      }
    },
  );
});

describe("an extract's accepted table", () => {
  test('stores a key of one text column FSST-compressed, whatever DuckDB would choose for it', async () => {
    // on disk: an in-memory database compresses nothing
    const db = await Database.open(join(makeTempDir(), 'warehouse.duckdb'), { threads: 1 });
    try {
      for (const extract of EXTRACTS) await db.run('create', createAcceptedTableSql(extract));
      // one value repeated: DuckDB's own choice for it would not be FSST
      const rows = (table: string, columns: string) => `insert into ${table} select ${columns} from range(5000)`;
      await db.run('persons', rows('persons (person_id, birth_year, sex, delivery_id)', "'P1', 1980, 'F', 'd1'"));
      await db.run('costs', rows('healthcare_costs (person_id, year, category, cost_eur, delivery_id)', "'P1', 2020, 'GP', 1, 'd1'"));
      await db.run('checkpoint', 'checkpoint');
      const compression = await db.query<{ table_name: string; compression: string }>(
        'storage',
        `select distinct table_name, compression from (
             select 'persons' as table_name, * from pragma_storage_info('persons')
             union all by name
             select 'healthcare_costs' as table_name, * from pragma_storage_info('healthcare_costs')
         )
         where column_name = 'person_id' and segment_type = 'VARCHAR'
         order by all`,
      );
      // persons' key is person_id alone; in healthcare_costs it is one of three key columns, left to DuckDB
      expect(compression.filter((row) => row.table_name === 'persons')).toEqual([{ table_name: 'persons', compression: 'FSST' }]);
      expect(compression.filter((row) => row.table_name === 'healthcare_costs').map((row) => row.compression)).not.toContain('FSST');
    } finally {
      db.close();
    }
  });

  test("stores an enumeration and the delivery's id as dictionaries, whatever DuckDB would choose for them", async () => {
    const db = await Database.open(join(makeTempDir(), 'warehouse.duckdb'), { threads: 1 });
    try {
      await db.run('create', createAcceptedTableSql(healthcareCosts));
      // every value once: DuckDB's own choice for them would not be a dictionary
      await db.run(
        'costs',
        `insert into healthcare_costs (person_id, year, category, cost_eur, delivery_id)
         select 'P1', 2020, 'C' || range, 1, 'd' || range from range(5000)`,
      );
      await db.run('checkpoint', 'checkpoint');
      const compression = await db.query<{ column_name: string; compression: string }>(
        'storage',
        `select distinct column_name, compression from pragma_storage_info('healthcare_costs')
         where column_name in ('category', 'delivery_id') and segment_type = 'VARCHAR' order by all`,
      );
      expect(compression).toEqual([
        { column_name: 'category', compression: 'Dictionary' },
        { column_name: 'delivery_id', compression: 'Dictionary' },
      ]);
    } finally {
      db.close();
    }
  });
});
