/**
 * A warehouse with given rows in force, for SQL-level tests of the stages
 * after ingest: rows are objects (missing columns are null), coverage is
 * given per extract as months, and the study config is the demo's with
 * overrides.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseStudyConfig, type StudyConfig } from '../../src/config/study-config.js';
import { type Database, quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { createWarehouseTables } from '../../src/ingest/index.js';
import { linkStage } from '../../src/link/index.js';

export type Row = Record<string, string | number | boolean | null | undefined>;

export interface WarehouseRows {
  persons?: Row[];
  benefit_spells?: Row[];
  employment_periods?: Row[];
  trajectories?: Row[];
  /** Months covered per extract (several ranges: as from several deliveries); default: employment and benefits 2000-01 to 2021-05. */
  coverage?: Record<string, { from: string; to: string } | { from: string; to: string }[]>;
}

export const WIDE_COVERAGE = {
  employment_periods: { from: '2000-01', to: '2021-05' },
  benefit_spells: { from: '2000-01', to: '2021-05' },
};

function literal(value: Row[string]): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return quoteLiteral(value);
}

async function insertRows(db: Database, table: string, rows: Row[]): Promise<void> {
  for (const row of rows) {
    const columns = [...Object.keys(row), 'delivery_id'];
    const values = [...Object.values(row).map(literal), "'d1'"];
    await db.run(
      `insert ${table}`,
      `insert into ${quoteIdentifier(table)} (${columns.map(quoteIdentifier).join(', ')}) values (${values.join(', ')})`,
    );
  }
}

/** Loads the rows and their coverage, and runs the link stage (coverage spans). */
export async function loadWarehouse(db: Database, rows: WarehouseRows): Promise<void> {
  await createWarehouseTables(db);
  for (const table of ['persons', 'benefit_spells', 'employment_periods', 'trajectories'] as const) {
    await insertRows(db, table, rows[table] ?? []);
  }
  for (const [extract, ranges] of Object.entries(rows.coverage ?? WIDE_COVERAGE)) {
    for (const [index, months] of [ranges].flat().entries()) {
      await db.run(
        'coverage',
        `insert into extract_coverage values ($delivery, '2021-06-30', $extract, 'incremental', ($from || '-01')::DATE, ($to || '-01')::DATE, 'delivery.json')`,
        { delivery: `d${index + 1}`, extract, from: months.from, to: months.to },
      );
    }
  }
  await db.run(
    'files',
    "insert into ingested_files values ('d1', '2021-06-30', 'f', 'persons', 'incremental', 'x', 0, 0, 0, 0, 0, 0, 0, 0, 'r')",
  );
  await linkStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

/** config/demo.yaml with the given settings replaced (one level deep per section). */
export function demoStudy(overrides: DeepPartial<StudyConfig> = {}): StudyConfig {
  const raw = parseYaml(readFileSync('config/demo.yaml', 'utf8')) as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(overrides)) {
    raw[section] = typeof values === 'object' && !Array.isArray(values) ? { ...raw[section], ...values } : (values as never);
  }
  return parseStudyConfig('config/demo.yaml', raw);
}
