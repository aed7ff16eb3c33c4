/**
 * The registry of export tables: an entry and its SQL file are all an
 * export table takes, and the entries agree with the SQL and the study
 * tables that read them.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { quoteLiteral, SQL_DIR } from '../../src/db/database.js';
import { readSqlContract } from '../../src/db/sql-contract.js';
import { minPersonsRule } from '../../src/disclosure/disclosure-control.js';
import { EXPORT_TABLES, type ExportTable } from '../../src/disclosure/export-tables.js';
import { discloseExportTables, disclosureStage } from '../../src/disclosure/index.js';
import { writeExportTables } from '../../src/publish/index.js';
import { studyTables } from '../../src/report/study-tables.js';
import { withDatabase } from '../support/delivery.js';

const study = loadStudyConfig('config/demo.yaml').config;

describe('the registry of export tables', () => {
  test('each entry has its own SQL file in sql/export/, which writes export_<name>, and every file there has an entry', () => {
    for (const table of EXPORT_TABLES) expect(readSqlContract(table.source).writes, table.name).toEqual([`export_${table.name}`]);
    expect(EXPORT_TABLES.map((table) => table.source).sort()).toEqual(
      readdirSync(join(SQL_DIR, 'export'))
        .map((file) => `export/${file}`)
        .sort(),
    );
  });

  test('the disclosure stage declares every export table it builds and discloses', () => {
    for (const table of EXPORT_TABLES)
      expect(disclosureStage.writes).toEqual(expect.arrayContaining([`export_${table.name}`, `disclosed_${table.name}`]));
  });

  test('each study table reads exactly the export tables whose usedBy names it', () => {
    const names = EXPORT_TABLES.map((table) => table.name);
    for (const table of studyTables({ ...study, subgroups: ['target_group'] })) {
      const read = [...table.sql.matchAll(/\b(?:from|join)\s+(\w+)/gi)].map((match) => match[1]!).filter((name) => names.includes(name));
      const listed = EXPORT_TABLES.filter((entry) => entry.usedBy.includes(table.name)).map((entry) => entry.name);
      expect([...new Set(read)].sort(), table.name).toEqual(listed.sort());
    }
  });
});

describe('adding an export table', () => {
  // A toy table: the registry entry and its SQL file, nothing else.
  const dir = mkdtempSync(join(tmpdir(), 'ipslink-toy-'));
  const source = join(dir, 'toy_counts.sql');
  writeFileSync(
    source,
    `-- Persons per region of the cohort.
-- Reads: cohort. Writes: export_toy_counts.
create or replace table export_toy_counts as
select region, count(*) as persons, count(*) filter (where treated = 1) as persons_treated from cohort group by region;
`,
  );
  const toy: ExportTable = {
    name: 'toy_counts',
    source,
    description: 'Cohort persons per region (a toy).',
    columns: { region: { description: 'labour-market region' }, persons: { description: 'persons', unit: 'persons' } },
    orderBy: 'region',
    rules: ({ threshold }) => [minPersonsRule(threshold, 'persons')],
    usedBy: [],
  };

  test('is disclosed, written with its column descriptions and listed in the codebook', async () => {
    const exportDir = mkdtempSync(join(tmpdir(), 'ipslink-toy-export-'));
    const { report, rows, metadata } = await withDatabase(async (db) => {
      await db.run(
        'cohort',
        "create table cohort as select * from (values ('A', 1), ('A', 0), ('B', 1)) as t(region, treated), range(0, 6) as copies(copy)",
      );
      const report = await discloseExportTables(db, study, [toy]);
      await writeExportTables(db, exportDir, [toy]);
      const file = quoteLiteral(join(exportDir, 'toy_counts.parquet'));
      return {
        report,
        rows: await db.query<{ region: string; persons: bigint | null }>('read', `select * from read_parquet(${file}) order by region`),
        metadata: await db.query<{ value: string }>(
          'read',
          `select decode(value) as value from parquet_kv_metadata(${file}) where decode(key) = 'column_descriptions'`,
        ),
      };
    });
    // A has 12 persons, B 6: B is suppressed; persons_treated feeds no column and is not published.
    expect(rows).toEqual([
      { region: 'A', persons: 12n },
      { region: 'B', persons: null },
    ]);
    expect(report.tables.map((table) => [table.table, table.cells_suppressed])).toEqual([['toy_counts', { persons: 1 }]]);
    expect(JSON.parse(metadata[0]!.value)).toEqual({ region: 'labour-market region', persons: 'persons' });
    expect(readFileSync(join(exportDir, 'codebook.md'), 'utf8')).toContain('### toy_counts.parquet\n\nCohort persons per region (a toy).');
  });
});
