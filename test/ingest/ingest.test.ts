import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { EXTRACTS } from '../../src/contracts/extracts.js';
import { Database } from '../../src/db/database.js';
import { sha256OfFile } from '../../src/ingest/delivery-manifest.js';
import { createWarehouseTables, ingestDeliveries, WAREHOUSE_SCHEMA_VERSION } from '../../src/ingest/index.js';
import { makeTempDir, type TestFile, withDatabase, writeDelivery } from '../support/delivery.js';
import { rewriteFile } from './delivery-bytes.js';

const persons: TestFile = {
  name: 'persons.csv',
  extract: 'persons',
  csv: [
    'sex,person_id,birth_year,region',
    'F,P001,1980,AMR01',
    'M,P002,1975,',
    'Q,P003,1990,AMR02',
    'F,P001,1981,AMR01',
    'M,111222333,1970,AMR03',
    '',
  ].join('\n'),
};

const spells: TestFile = {
  name: 'benefit_spells.csv.gz',
  extract: 'benefit_spells',
  csv: [
    'spell_id,person_id,benefit_type,start_date,end_date,monthly_amount_eur,incapacity_cause',
    'S1,P001,WGA,2014-01-01,,1500.00,MENTAL',
    'S2,P002,ZW,2014-02-30,,1500.00,',
    'S3,P999,ZW,2014-02-01,,1500.00,',
    'S4,P002,ZW,2014-02-01,2013-01-01,1500.00,',
    'S5,P002,ZW,2014-02-01,,-3,',
    '',
  ].join('\n'),
};

async function ingest(landing: string) {
  return withDatabase(async (db) => {
    const report = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'test-run' });
    const rejects = await db.query<{ file: string; line_number: number; rule_id: string }>(
      'rejects',
      'select file, line_number::int as line_number, rule_id from rejects order by file, line_number',
    );
    return { report, rejects };
  });
}

describe('ingestDeliveries', () => {
  test('every row read is accepted or in the ledger with the first rule it fails', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons, spells]);
    const { report, rejects } = await ingest(landing);
    for (const file of report.files) expect(file.rows_read).toBe(file.rows_accepted + file.rows_rejected);
    // S3's person P999 is not in persons: the row is kept (a later delivery may bring P999), as an orphan.
    expect(report.files.map((file) => [file.file, file.rows_read, file.rows_accepted])).toEqual([
      ['benefit_spells.csv.gz', 5, 2],
      ['persons.csv', 5, 2],
    ]);
    expect(rejects).toEqual([
      { file: 'benefit_spells.csv.gz', line_number: 3, rule_id: 'benefit_spells.start_date.date_invalid' },
      { file: 'benefit_spells.csv.gz', line_number: 5, rule_id: 'benefit_spells.end_before_start' },
      { file: 'benefit_spells.csv.gz', line_number: 6, rule_id: 'benefit_spells.monthly_amount_eur.negative' },
      { file: 'persons.csv', line_number: 4, rule_id: 'persons.sex.enum' },
      { file: 'persons.csv', line_number: 5, rule_id: 'persons.person_id.duplicate' },
      { file: 'persons.csv', line_number: 6, rule_id: 'persons.person_id.bsn_leak' },
    ]);
  });

  test('rows that cannot be split into the header columns are rejected, not lost', async () => {
    const landing = makeTempDir();
    const csv = 'person_id,birth_year,sex,region\nP001,1980,F,AMR01\nP002,1975\nP003,1990,M,AMR02,extra\nP004,1990,M,\n';
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv }]);
    const { report, rejects } = await ingest(landing);
    expect(report.files[0]).toMatchObject({ rows_read: 4, rows_accepted: 2, rows_rejected: 2 });
    expect(rejects.map((row) => [row.line_number, row.rule_id])).toEqual([
      [3, 'persons.csv_malformed'],
      [4, 'persons.csv_malformed'],
    ]);
  });

  test('around malformed lines, the accepted rows go into force whole and in line order, in every delivery', async () => {
    // malformed lines make the classified table's order unknown, so its rows go into force sorted by line
    const landing = makeTempDir();
    const header = 'person_id,birth_year,sex,region';
    const personsFile = (lines: string[]): TestFile => ({
      name: 'persons.csv',
      extract: 'persons',
      csv: `${[header, ...lines].join('\n')}\n`,
    });
    writeDelivery(landing, 'd1', [personsFile(['P004,1990,M,', 'P002,1975', 'P001,1980,F,AMR01', 'P003,1990,M,AMR02'])], '2021-06-30');
    writeDelivery(
      landing,
      'd2',
      [personsFile(['P006,2001,F,', 'P003,1991,M,AMR02', 'bad', 'P005,2000,F,AMR03', 'P001,1980,F,AMR01'])],
      '2021-09-30',
    );
    // older than both: its new P007 goes in, its P004 is stale
    writeDelivery(landing, 'd3', [personsFile(['P007,1960,M,', 'x,y', 'P004,1950,F,AMR09'])], '2020-12-31');
    await withDatabase(async (db) => {
      const report = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'test-run' });
      expect(
        report.files.map((file) => [file.delivery_id, file.rows_inserted, file.rows_replaced, file.rows_unchanged, file.rows_stale]),
      ).toEqual([
        ['d1', 3, 0, 0, 0],
        ['d2', 2, 1, 1, 0],
        ['d3', 1, 0, 0, 1],
      ]);
      expect(await db.query('in force', 'select person_id, birth_year, region, delivery_id from persons order by rowid')).toEqual([
        { person_id: 'P004', birth_year: 1990, region: null, delivery_id: 'd1' },
        { person_id: 'P001', birth_year: 1980, region: 'AMR01', delivery_id: 'd1' },
        { person_id: 'P006', birth_year: 2001, region: null, delivery_id: 'd2' },
        { person_id: 'P003', birth_year: 1991, region: 'AMR02', delivery_id: 'd2' },
        { person_id: 'P005', birth_year: 2000, region: 'AMR03', delivery_id: 'd2' },
        { person_id: 'P007', birth_year: 1960, region: null, delivery_id: 'd3' },
      ]);
      expect(
        await db.query(
          'superseded',
          'select person_id, birth_year, sex, region, delivery_id, superseded_by from persons_superseded order by delivery_id, person_id',
        ),
      ).toEqual([
        { person_id: 'P003', birth_year: 1990, sex: 'M', region: 'AMR02', delivery_id: 'd1', superseded_by: 'd2' },
        { person_id: 'P004', birth_year: 1950, sex: 'F', region: 'AMR09', delivery_id: 'd3', superseded_by: 'd1' },
      ]);
    });
  });

  test("an extract's first file decides how its identifiers are stored: repeated together, a dictionary; scattered, FSST", async () => {
    // a person's four periods together; every job once; two employers taking turns
    const rows = Array.from({ length: 400 }, (_, i) =>
      [`E${i}`, `P${Math.floor(i / 4)}`, `J${i}`, `R${i % 2}`, '2021-01-01', '2021-01-31', '120', '2000.00', 'REGULAR'].join(','),
    );
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [
      {
        name: 'employment_periods.csv',
        extract: 'employment_periods',
        csv: ['period_id,person_id,job_id,employer_id,period_start,period_end,hours_paid,wage_eur,job_type', ...rows, ''].join('\n'),
      },
    ]);
    // on disk: an in-memory database compresses nothing
    const db = await Database.open(join(makeTempDir(), 'warehouse.duckdb'), { threads: 1 });
    try {
      const report = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'test-run' });
      expect(report.files.map((file) => file.rows_accepted)).toEqual([400]);
      await db.run('checkpoint', 'checkpoint');
      const compression = await db.query<{ column_name: string; compression: string }>(
        'storage',
        `select column_name, string_agg(distinct compression, ', ') as compression from pragma_storage_info('employment_periods')
         where segment_type = 'VARCHAR' group by column_name order by column_name`,
      );
      expect(compression).toEqual([
        { column_name: 'delivery_id', compression: 'Dictionary' },
        { column_name: 'employer_id', compression: 'Dictionary' },
        { column_name: 'job_id', compression: 'FSST' },
        { column_name: 'job_type', compression: 'Dictionary' },
        { column_name: 'period_id', compression: 'FSST' },
        { column_name: 'person_id', compression: 'Dictionary' },
      ]);
    } finally {
      db.close();
    }
  });

  test('a second run over the same delivery loads nothing new', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons]);
    await withDatabase(async (db) => {
      const first = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r1' });
      const second = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r2' });
      expect(first.newDeliveryIds).toEqual(['d1']);
      expect(second.newDeliveryIds).toEqual([]);
      expect(await db.count('persons')).toBe(2);
    });
  });

  test('a file whose sha256 differs from delivery.json stops the run', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [persons]);
    writeFileSync(join(dir, 'persons.csv'), readFileSync(join(dir, 'persons.csv'), 'utf8').replace('AMR01', 'AMR09'));
    await expect(ingest(landing)).rejects.toThrow(/d1\/persons.csv: sha256 is [0-9a-f]{12}…, delivery.json says/);
  });

  test('of two broken files, read side by side, the first listed is the one named, whichever fails first', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [persons, spells]);
    writeFileSync(join(dir, 'persons.csv'), readFileSync(join(dir, 'persons.csv'), 'utf8').replace('AMR01', 'AMR09'));
    // a missing file fails at once, before the changed one is read to its end
    rmSync(join(dir, 'benefit_spells.csv.gz'));
    await expect(ingest(landing)).rejects.toThrow(/d1\/persons.csv: sha256 is/);
  });

  test('a file with rows added after delivery is refused while it is read, before its sha256 is known', async () => {
    // A row more than stated ends the read at once (a bomb of short lines stops the same way), so the count speaks first.
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [persons]);
    writeFileSync(join(dir, 'persons.csv'), `${readFileSync(join(dir, 'persons.csv'), 'utf8')}P009,1980,F,\n`);
    await expect(ingest(landing)).rejects.toThrow('d1/persons.csv: holds more than the 5 data rows delivery.json states');
  });

  test('a listed file that is missing stops the run', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [persons, spells]);
    rmSync(join(dir, 'benefit_spells.csv.gz'));
    await expect(ingest(landing)).rejects.toThrow('d1/benefit_spells.csv.gz: listed in delivery.json but missing');
  });

  test('a row count that disagrees with delivery.json loads nothing from the delivery', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons, { ...spells, rowCount: 6 }]);
    await withDatabase(async (db) => {
      await expect(ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r1' })).rejects.toThrow(
        'd1/benefit_spells.csv.gz: read 5 data rows, delivery.json says 6',
      );
      expect(await db.count('persons')).toBe(0);
      expect(await db.count('ingested_files')).toBe(0);
    });
  });

  test("a death after the delivery's extract date is rejected with its rule; optional columns may be left out of the header", async () => {
    const landing = makeTempDir();
    const csv = 'person_id,birth_year,sex,death_date\nP1,1980,F,2021-06-30\nP2,1980,F,2021-07-01\n';
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv }], '2021-06-30');
    const { report, rejects } = await ingest(landing);
    expect(report.files[0]).toMatchObject({ rows_read: 2, rows_accepted: 1, rows_rejected: 1 });
    expect(rejects).toEqual([{ file: 'persons.csv', line_number: 3, rule_id: 'persons.death_date_after_extract_date' }]);
  });

  test('an amount keeps every delivered decimal, up to 6, so nothing is rounded before a threshold', async () => {
    const landing = makeTempDir();
    const csv =
      'period_id,person_id,job_id,employer_id,period_start,period_end,hours_paid,wage_eur,job_type\n' +
      'W1,P001,J1,E1,2015-01-01,2015-01-31,47.995,1234.567891,REGULAR\nW2,P001,J1,E1,2015-02-01,2015-02-28,1.1234567,10,REGULAR\n';
    writeDelivery(landing, 'd1', [persons, { name: 'employment_periods.csv', extract: 'employment_periods', csv }]);
    const rows = await withDatabase(async (db) => {
      await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r' });
      return {
        accepted: await db.query('read', 'select hours_paid::varchar as hours, wage_eur::varchar as wage from employment_periods'),
        rejected: await db.query('read', 'select line_number::int as line, rule_id from rejects where extract = $extract', {
          extract: 'employment_periods',
        }),
      };
    });
    expect(rows.accepted).toEqual([{ hours: '47.995000', wage: '1234.567891' }]);
    expect(rows.rejected).toEqual([{ line: 3, rule_id: 'employment_periods.hours_paid.number' }]);
  });

  test('a header without a contract column names it, and an unknown field only by position and hash', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: 'person_id,sex,region,age\nP1,F,,30\n' }]);
    const ageHash = createHash('sha256').update('age').digest('hex').slice(0, 4);
    await expect(ingest(landing)).rejects.toThrow(
      `d1/persons.csv: header does not match the contract: missing column(s) birth_year; ` +
        `1 field(s) that are no contract column, at position 4 (sha256 ${ageHash}…)`,
    );
  });

  test('a data row where the header belongs is refused without echoing its fields', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [
      { name: 'persons.csv', extract: 'persons', csv: 'P0012345,1980,F,AMR01\nP0067890,1975,M,\n', rowCount: 1 },
    ]);
    const error = await ingest(landing).catch((caught: unknown) => String(caught));
    expect(error).toContain('missing column(s) person_id, birth_year, sex; 4 field(s) that are no contract column, at position 1 (sha256');
    expect(error).not.toMatch(/P00\d|AMR01|1980/);
  });

  test('a contract column given twice is named', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: 'person_id,birth_year,sex,sex\nP1,1980,F,F\n' }]);
    await expect(ingest(landing)).rejects.toThrow('column(s) given more than once: sex');
  });

  test('a header that is not UTF-8 is refused without printing its bytes', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [
      { name: 'persons.csv', extract: 'persons', csv: 'person_id,birth_year,sex,XX\nP1,1980,F,\n' },
    ]);
    const bytes = Buffer.from('person_id,birth_year,sex,re\xffgion\nP1,1980,F,\n', 'latin1');
    rewriteFile(dir, 'persons.csv', bytes);
    const error = await ingest(landing).catch((caught: unknown) => String(caught));
    expect(error).toContain('d1/persons.csv: header does not match the contract: the first line is not valid UTF-8;');
    expect(error).not.toMatch(/re.?gion|\ufffd|\xff/);
  });

  test('error messages never contain a value from a row', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons, { ...spells, rowCount: 1 }]);
    const error = await ingest(landing).catch((caught: unknown) => String(caught));
    expect(error).not.toMatch(/P00\d|111222333/);
  });
});

describe('the optional healthcare_costs extract', () => {
  test('a delivery without it loads, and the warehouse has its tables, empty, with the contract columns', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [persons, spells]);
    const tables = await withDatabase(async (db) => {
      await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r' });
      return db.query<{ table_name: string; columns: string; rows: number }>(
        'healthcare tables',
        `select table_name, string_agg(column_name || ' ' || data_type, ', ' order by column_index) as columns,
            (select count(*) from healthcare_costs)::double + (select count(*) from healthcare_costs_superseded)::double as rows
         from duckdb_columns() where table_name like 'healthcare_costs%' group by table_name order by table_name`,
      );
    });
    expect(tables).toEqual([
      {
        table_name: 'healthcare_costs',
        columns: 'person_id VARCHAR, year INTEGER, category VARCHAR, cost_eur DECIMAL(18,6), delivery_id VARCHAR',
        rows: 0,
      },
      {
        table_name: 'healthcare_costs_superseded',
        columns: 'person_id VARCHAR, year INTEGER, category VARCHAR, cost_eur DECIMAL(18,6), delivery_id VARCHAR, superseded_by VARCHAR',
        rows: 0,
      },
    ]);
  });

  test("a delivery with it validates every row: a year after the extract date's, a category outside the list and a negative cost are rejected", async () => {
    const landing = makeTempDir();
    const csv = [
      'category,person_id,year,cost_eur',
      'GP,P001,2021,312.40',
      'GP,P001,2022,10.00',
      'DENTAL,P001,2020,10.00',
      'PHARMACY,P001,2020,-1.00',
      'MENTAL_HEALTH,P002,2005,10.00',
      '',
    ].join('\n');
    writeDelivery(landing, 'd1', [persons, { name: 'healthcare_costs.csv.gz', extract: 'healthcare_costs', csv }], '2021-06-30');
    const { report, rejects } = await ingest(landing);
    expect(report.files.find((file) => file.extract === 'healthcare_costs')).toMatchObject({
      rows_read: 5,
      rows_accepted: 1,
      rows_rejected: 4,
    });
    expect(rejects.filter((row) => row.file === 'healthcare_costs.csv.gz').map((row) => [row.line_number, row.rule_id])).toEqual([
      [3, 'healthcare_costs.year_after_extract_date'],
      [4, 'healthcare_costs.category.enum'],
      [5, 'healthcare_costs.cost_eur.negative'],
      [6, 'healthcare_costs.year.range'],
    ]);
  });
});

describe('ingesting Parquet', () => {
  test('a Parquet extract is validated with the same rules and line numbers read as row + 1', async () => {
    const landing = makeTempDir();
    const dir = join(landing, 'd1');
    await withDatabase(async (db) => {
      mkdirSync(dir, { recursive: true });
      await db.run(
        'write parquet',
        `copy (select * from (values ('P001', 1980, 'F', 'AMR01'), ('P002', 1975, 'Q', null)) as t(person_id, birth_year, sex, region))
         to '${join(dir, 'persons.parquet')}' (format parquet)`,
      );
    });
    writeFileSync(
      join(dir, 'delivery.json'),
      JSON.stringify({
        delivery_id: 'd1',
        extract_date: '2021-06-30',
        files: [{ name: 'persons.parquet', extract: 'persons', sha256: await sha256OfFile(join(dir, 'persons.parquet')), row_count: 2 }],
      }),
    );
    const { report, rejects } = await ingest(landing);
    expect(report.files[0]).toMatchObject({ rows_read: 2, rows_accepted: 1, rows_rejected: 1 });
    expect(rejects).toEqual([{ file: 'persons.parquet', line_number: 3, rule_id: 'persons.sex.enum' }]);
  });
});

describe('createWarehouseTables', () => {
  test('creates every table with the schema version, or, stopped half way, none: the next run starts afresh', async () => {
    const state = await withDatabase(async (db) => {
      const tables = async () => (await db.query<{ n: number }>('test', 'select count(*)::integer as n from duckdb_tables()'))[0]!.n;
      const run = db.run.bind(db);
      // the creation fails after the bookkeeping tables and the first extract's
      const failing = vi.spyOn(db, 'run').mockImplementation((label, sql, params) => {
        if (label === 'ingest: create benefit_spells') throw new Error('killed');
        return run(label, sql, params);
      });
      await expect(createWarehouseTables(db)).rejects.toThrow('killed');
      const afterFailure = await tables();
      failing.mockRestore();
      await createWarehouseTables(db);
      const [meta] = await db.query<{ version: number }>('test', 'select max(schema_version)::integer as version from warehouse_meta');
      return { afterFailure, afterRetry: await tables(), version: meta!.version };
    });
    expect(state).toEqual({ afterFailure: 0, afterRetry: 4 + 2 * EXTRACTS.length, version: WAREHOUSE_SCHEMA_VERSION });
  });
});
