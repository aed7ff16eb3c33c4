/**
 * Disclosure stage (DESIGN §6): decides what may leave. It measures what the
 * rules need (money dominance, the attrition steps that may be shown, the
 * samples' sizes; sql/disclosure/), builds each export table's rows from its
 * SQL (sql/export/, each file named by its entry in export-tables.ts), applies the
 * rules (disclosure-control.ts) into `disclosed_<name>`, and keeps the
 * report in `disclosure_report`. Publish writes those tables and nothing else
 * to export/.
 */
import { MONEY_OUTCOMES } from '../config/outcomes.js';
import type { StudyConfig } from '../config/study-config.js';
import { columnPattern, type Database } from '../db/database.js';
import { readSqlContract } from '../db/sql-contract.js';
import { readPanelMonths, STUDY_SAMPLE } from '../estimate/event-study-did.js';
import { countSumsRows, sampleMonthRanges, sumsRowsPerRange } from '../estimate/index.js';
import { logWarning } from '../log.js';
import type { Stage } from '../stage.js';
import { applyDisclosureControl, type DisclosedTable, type DisclosureReport } from './disclosure-control.js';
import { EXPORT_TABLES, type ExportTable } from './export-tables.js';

const REPORT_TABLE = 'disclosure_report';

/** Runs an export table's SQL, which writes its undisclosed rows to `export_<name>`. */
async function buildExportSource(db: Database, table: ExportTable, study: StudyConfig): Promise<DisclosedTable> {
  await db.runFile(table.source, table.params?.(study) ?? {});
  const { min_cell_persons: threshold, dominance } = study.disclosure;
  return {
    name: table.name,
    source: `export_${table.name}`,
    columns: Object.keys(table.columns),
    orderBy: table.orderBy,
    links: table.links ?? [],
    rules: table.rules({ threshold, dominance }),
  };
}

/** Builds the export tables' rows and discloses them together (linked counts agree across them). */
export async function discloseExportTables(
  db: Database,
  study: StudyConfig,
  tables: readonly ExportTable[],
  warnings: readonly string[] = [],
): Promise<DisclosureReport> {
  const sources: DisclosedTable[] = [];
  for (const table of tables) sources.push(await buildExportSource(db, table, study));
  const { min_cell_persons: threshold, round_counts_to: roundCountsTo } = study.disclosure;
  return applyDisclosureControl(db, sources, { threshold, roundCountsTo: roundCountsTo ?? null, arms: study.arms }, warnings);
}

/**
 * Chooses the attrition steps to publish (no small count as the difference
 * of two published ones). Drops between attrition steps that must be
 * published cannot be hidden, and are warned about.
 */
async function chooseAttritionSteps(db: Database, study: StudyConfig): Promise<string[]> {
  const threshold = study.disclosure.min_cell_persons;
  await db.runFile('disclosure/02_choose_attrition_steps.sql', { threshold });
  const gaps = await db.query<{ from_step: number; to_step: number; arm: 'treated' | 'control' }>(
    'disclosure: attrition gaps',
    'select from_step::integer as from_step, to_step::integer as to_step, arm from attrition_gaps order by from_step, arm',
  );
  return gaps.map(
    ({ from_step: from, to_step: to, arm }) =>
      `attrition steps ${from} to ${to}: between 1 and ${threshold - 1} ${study.arms[arm]} persons drop out, ` +
      'and both steps are published in other tables too, so the difference shows how many; review before release',
  );
}

/**
 * Step 01: how much of each money total the largest persons hold, for the dominance rule. The study's sample is
 * measured in the ranges of event months its sums were (src/estimate/index.ts, sampleMonthRanges), so that its
 * profiles, which grow with its persons under nearest-neighbour matching, are grouped a few months at a time.
 */
export async function measureMoneyDominance(db: Database, topPersons: number, rowsPerRange: number): Promise<void> {
  const panelMonths = await readPanelMonths(db);
  const ranges = sampleMonthRanges(await countSumsRows(db), STUDY_SAMPLE, panelMonths, rowsPerRange);
  await db.run('disclosure: drop money_dominance', 'drop table if exists money_dominance');
  for (const range of ranges) {
    await db.runFile('disclosure/01_measure_money_dominance.sql', {
      money_pattern: columnPattern(MONEY_OUTCOMES),
      top_persons: topPersons,
      first_month: range.from,
      last_month: range.to,
    });
  }
}

/** The disclosure report a run stored, for disclosure.json. */
export async function readDisclosureReport(db: Database): Promise<DisclosureReport> {
  const [row] = await db.query<{ report: string }>('disclosure: read report', `select report from ${REPORT_TABLE}`);
  return JSON.parse(row!.report) as DisclosureReport;
}

const MEASURES = ['money_dominance', 'sample_sizes'];
const SCRATCH = [
  'money_dominance_range',
  'attrition_steps_shown',
  'attrition_gaps',
  'undisclosed',
  'disclosure_suppressed_keys',
  'disclosure_series_*',
];

/** What the export tables' SQL reads (their headers), other than what this stage makes itself. */
function exportSourceReads(): string[] {
  const own = new Set([...MEASURES, ...SCRATCH]);
  const reads = EXPORT_TABLES.flatMap((table) => readSqlContract(table.source).reads);
  return [...new Set(reads)].filter((table) => !own.has(table)).sort();
}

export const disclosureStage: Stage = {
  name: 'disclosure',
  reads: [
    ...new Set([
      'sample_person_profiles',
      'sample_profile_weights',
      'panel_person_month',
      'pair_weighted_person_months',
      'matched_set_months',
      'paired_samples',
      'attrition',
      ...exportSourceReads(),
    ]),
  ],
  writes: [...MEASURES, ...EXPORT_TABLES.flatMap((table) => [`export_${table.name}`, `disclosed_${table.name}`]), REPORT_TABLE],
  scratch: SCRATCH,
  run: async ({ db, study, resources }) => {
    await measureMoneyDominance(db, study.disclosure.dominance.top_persons, sumsRowsPerRange(resources));
    const warnings = await chooseAttritionSteps(db, study);
    await db.runFile('disclosure/03_read_sample_sizes.sql');
    const report = await discloseExportTables(db, study, EXPORT_TABLES, warnings);
    for (const warning of report.warnings) logWarning(`disclosure: ${warning}`, { event: 'disclosure_warning' });
    await db.run('disclosure: store report', `create or replace table ${REPORT_TABLE} as select $report as report`, {
      report: JSON.stringify(report),
    });
  },
};
