/**
 * The audit between staging a run and publishing it (write-audit-publish):
 * data quality against the config's `audit:` thresholds, the balance gate,
 * and an independent check of what disclosure control let into export/.
 * A run that fails any check is kept as failed_audit and `current` does not
 * move. Checks name extracts, arms and files, never a value from a row.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { StudyConfig } from '../config/study-config.js';
import { type Database, quoteIdentifier, quoteLiteral } from '../db/database.js';
import { EXPORT_TABLES } from '../disclosure/export-tables.js';
import { type BalanceGate, checkBalanceGate } from './balance-gate.js';

export type AuditGate = 'data_quality' | 'balance' | 'disclosure';

export interface AuditCheck {
  gate: AuditGate;
  /** What was checked: `rejected_share`, `linkage_rate`, `cohort_persons`, `max_abs_smd`, `small_person_counts`, `unexpected_export_files`. */
  check: string;
  /** The extract, arm, covariate or file checked. */
  subject: string;
  value: number;
  /** The config threshold, with `bound` saying which side passes. */
  threshold: number;
  bound: 'max' | 'min';
  passed: boolean;
}

export interface Audit {
  passed: boolean;
  /** The first gate that failed, in the order data quality, balance, disclosure; null when all passed. */
  failed_gate: AuditGate | null;
  checks: AuditCheck[];
  balance_gate: BalanceGate;
}

const GATE_ORDER: readonly AuditGate[] = ['data_quality', 'balance', 'disclosure'];

function check(gate: AuditGate, name: string, subject: string, value: number, threshold: number, bound: 'max' | 'min'): AuditCheck {
  return { gate, check: name, subject, value, threshold, bound, passed: bound === 'max' ? value <= threshold : value >= threshold };
}

async function dataQualityChecks(db: Database, study: StudyConfig): Promise<AuditCheck[]> {
  const { audit } = study;
  const extracts = await db.query<{ extract: string; read: number; rejected: number; in_force: number; linked: number }>(
    'audit: linkage',
    `select extract, rows_read::double as read, rows_rejected::double as rejected,
            rows_in_force::double as in_force, linked_rows::double as linked
     from linkage where rows_read > 0 order by extract`,
  );
  const checks = extracts.map((row) =>
    check(
      'data_quality',
      'rejected_share',
      row.extract,
      row.rejected / row.read,
      audit.max_rejected_share_by_extract[row.extract] ?? audit.max_rejected_share,
      'max',
    ),
  );
  for (const row of extracts) {
    if (row.extract !== 'persons' && row.in_force > 0) {
      checks.push(check('data_quality', 'linkage_rate', row.extract, row.linked / row.in_force, audit.min_linkage_rate, 'min'));
    }
  }
  const [arms] = await db.query<{ treated: number; control: number }>(
    'audit: cohort per arm',
    'select count(*) filter (where arm = $treated)::double as treated, count(*) filter (where arm = $control)::double as control from cohort',
    { treated: study.arms.treated, control: study.arms.control },
  );
  for (const [arm, persons] of [
    [study.arms.treated, arms!.treated],
    [study.arms.control, arms!.control],
  ] as const) {
    checks.push(check('data_quality', 'cohort_persons', arm, persons, audit.min_cohort_persons_per_arm, 'min'));
  }
  return checks;
}

function balanceChecks(gate: BalanceGate): AuditCheck[] {
  return [check('balance', 'max_abs_smd', gate.worst ?? '(no covariate)', gate.max_abs_smd_after ?? 0, gate.limit, 'max')];
}

/** The files export/ may hold: each registry table's Parquet (and Arrow), and what publish builds from them. */
function expectedExportFile(path: string): boolean {
  if (['disclosure.json', 'codebook.md', 'report.html'].includes(path)) return true;
  if (/^tables\/[a-z0-9_]+\.(csv|md)$/.test(path)) return true;
  return EXPORT_TABLES.some((table) => path === `${table.name}.parquet` || (table.arrow && path === `${table.name}.arrow`));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * Re-reads the published export files: no file outside the registry, and
 * no person count between 1 and the threshold in any column the registry
 * counts persons in. The disclosure stage should make both impossible; the
 * audit makes sure before anything is published.
 */
async function disclosureChecks(db: Database, study: StudyConfig, exportDir: string): Promise<AuditCheck[]> {
  const unexpected = listFiles(exportDir).filter((path) => !expectedExportFile(path));
  const checks = [check('disclosure', 'unexpected_export_files', unexpected.join(', ') || 'export/', unexpected.length, 0, 'max')];
  const threshold = study.disclosure.min_cell_persons;
  for (const table of EXPORT_TABLES) {
    const countColumns = Object.entries(table.columns)
      .filter(([, definition]) => definition.unit === 'persons')
      .map(([name]) => quoteIdentifier(name));
    if (!countColumns.length) continue;
    const small = countColumns.map((name) => `(${name} > 0 and ${name} < ${threshold})::integer`).join(' + ');
    const [row] = await db.query<{ cells: number }>(
      `audit: ${table.name}`,
      `select coalesce(sum(${small}), 0)::double as cells from read_parquet(${quoteLiteral(join(exportDir, `${table.name}.parquet`))})`,
    );
    checks.push(check('disclosure', 'small_person_counts', `${table.name}.parquet`, row!.cells, 0, 'max'));
  }
  return checks;
}

export async function auditRun(db: Database, study: StudyConfig, exportDir: string): Promise<Audit> {
  const balanceGate = await checkBalanceGate(db, study.matching.balance_max_abs_smd);
  const checks = [
    ...(await dataQualityChecks(db, study)),
    ...balanceChecks(balanceGate),
    ...(await disclosureChecks(db, study, exportDir)),
  ];
  const failedGate = GATE_ORDER.find((gate) => checks.some((item) => item.gate === gate && !item.passed)) ?? null;
  return { passed: failedGate === null, failed_gate: failedGate, checks, balance_gate: balanceGate };
}

/** One line per failed check, for the error message and the log. */
export function describeFailedChecks(audit: Audit, gate: AuditGate): string[] {
  return audit.checks
    .filter((item) => item.gate === gate && !item.passed)
    .map(
      (item) =>
        `${item.check} of ${item.subject} ${formatValue(item.value)} ${item.bound === 'max' ? '>' : '<'} ${formatValue(item.threshold)}`,
    );
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
