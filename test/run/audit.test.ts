/**
 * The audit between staging and publishing: each threshold from config
 * fails the gate it belongs to, and the disclosure re-read catches what the
 * disclosure stage should never let through.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type Database, quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { EXPORT_TABLES } from '../../src/disclosure/export-tables.js';
import { auditRun, describeFailedChecks } from '../../src/run/audit.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { demoStudy } from '../support/warehouse.js';

/** The tables the audit reads, for a run with 2 % rejected employment rows, 97 % linked trajectories and 60 / 200 persons. */
async function writeWarehouse(db: Database, options: { worstSmd?: number } = {}): Promise<void> {
  await db.run(
    'linkage',
    `create table linkage as select * from (values
       ('persons', 1000, 0, 1000, 1000),
       ('employment_periods', 5000, 100, 4900, 4900),
       ('trajectories', 400, 4, 396, 384),
       ('healthcare_costs', 0, 0, 0, 0)
     ) t(extract, rows_read, rows_rejected, rows_in_force, linked_rows)`,
  );
  await db.run('cohort', "create table cohort as select case when i <= 60 then 'IPS' else 'TVR' end as arm from range(1, 261) r(i)");
  await db.run(
    'balance',
    `create table balance as select * from (values ('age_at_index', '', ${options.worstSmd ?? 0.04}), ('sex', 'F', -0.02)) t(covariate, level, smd_after)`,
  );
}

/** export/ as publish writes it: every registry table, each person count 10 or more, unless planted otherwise. */
async function writeExport(
  db: Database,
  dir: string,
  plant: { table: string; column: string; value: number } | null = null,
): Promise<void> {
  mkdirSync(join(dir, 'tables'), { recursive: true });
  for (const table of EXPORT_TABLES) {
    const columns = Object.entries(table.columns).map(([name, definition]) => {
      const value = plant?.table === table.name && plant.column === name ? plant.value : definition.unit === 'persons' ? 12 : 'null';
      return `${value} as ${quoteIdentifier(name)}`;
    });
    await db.run('export', `copy (select ${columns.join(', ')}) to ${quoteLiteral(join(dir, `${table.name}.parquet`))} (format parquet)`);
  }
  for (const file of ['disclosure.json', 'codebook.md', 'report.html', 'tables/table1_baseline.csv']) writeFileSync(join(dir, file), '');
}

async function audit(
  studyOverrides: Parameters<typeof demoStudy>[0],
  setup: { worstSmd?: number; plant?: { table: string; column: string; value: number }; extraFile?: string } = {},
) {
  return withDatabase(async (db) => {
    const exportDir = join(makeTempDir('ipslink-audit-'), 'export');
    await writeWarehouse(db, setup);
    await writeExport(db, exportDir, setup.plant ?? null);
    if (setup.extraFile) writeFileSync(join(exportDir, setup.extraFile), 'person_id\n');
    return auditRun(db, demoStudy(studyOverrides), exportDir);
  });
}

describe('the audit', () => {
  test('passes within the default thresholds and says what it checked', async () => {
    const result = await audit({});
    expect(result.passed).toBe(true);
    expect(result.failed_gate).toBeNull();
    const rejected = result.checks.find((check) => check.check === 'rejected_share' && check.subject === 'employment_periods');
    expect(rejected).toMatchObject({ value: 0.02, threshold: 0.05, bound: 'max', passed: true });
    // An extract no delivery holds is not judged; persons is not judged on linkage.
    expect(result.checks.some((check) => check.subject === 'healthcare_costs')).toBe(false);
    expect(result.checks.some((check) => check.check === 'linkage_rate' && check.subject === 'persons')).toBe(false);
  });

  test('a rejected share above the threshold, global or per extract, is a data-quality breach', async () => {
    const global = await audit({ audit: { max_rejected_share: 0.015 } });
    expect(global.failed_gate).toBe('data_quality');
    expect(describeFailedChecks(global, 'data_quality')).toEqual(['rejected_share of employment_periods 0.0200 > 0.0150']);
    const perExtract = await audit({ audit: { max_rejected_share_by_extract: { trajectories: 0.005 } } });
    expect(describeFailedChecks(perExtract, 'data_quality')).toEqual(['rejected_share of trajectories 0.0100 > 0.0050']);
  });

  test('a linkage rate or an arm below its minimum is a data-quality breach', async () => {
    const result = await audit({ audit: { min_linkage_rate: 0.98, min_cohort_persons_per_arm: 61 } });
    expect(describeFailedChecks(result, 'data_quality')).toEqual([
      'linkage_rate of trajectories 0.9697 < 0.9800',
      'cohort_persons of IPS 60 < 61',
    ]);
  });

  test('imbalance after matching fails the balance gate, after data quality in order', async () => {
    const balance = await audit({}, { worstSmd: -0.13 });
    expect(balance.failed_gate).toBe('balance');
    expect(balance.balance_gate).toMatchObject({ passed: false, max_abs_smd_after: 0.13, worst: 'age_at_index' });
    const both = await audit({ audit: { min_cohort_persons_per_arm: 100 } }, { worstSmd: 0.13 });
    expect(both.failed_gate).toBe('data_quality');
  });

  test('a person count below the threshold in an export file fails the disclosure audit', async () => {
    const result = await audit({}, { plant: { table: 'effects', column: 'n_treated', value: 3 } });
    expect(result.failed_gate).toBe('disclosure');
    expect(describeFailedChecks(result, 'disclosure')).toEqual(['small_person_counts of effects.parquet 1 > 0']);
  });

  test('a file outside the registry in export/ fails the disclosure audit, named', async () => {
    const result = await audit({}, { extraFile: 'persons.csv' });
    expect(describeFailedChecks(result, 'disclosure')).toEqual(['unexpected_export_files of persons.csv 1 > 0']);
  });
});
