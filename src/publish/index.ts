/**
 * Publishes a run (DESIGN §5): person-level tables to restricted/, the
 * disclosure-controlled aggregates to export/, manifest.json last, all in a
 * hidden partial directory that is renamed into runs/ when complete; then
 * `current` is moved by one atomic rename of a fresh symlink. A failed or
 * killed run leaves `current` where it was.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { Database } from '../db/database.js';
import { quoteLiteral } from '../db/database.js';
import { applyDisclosureControl, type DisclosureReport } from '../disclosure/index.js';
import { sha256OfFile } from '../ingest/delivery-manifest.js';
import type { StudyConfig } from '../config/study-config.js';
import { logInfo } from '../log.js';
import { writeStudyReport } from '../report/study-report.js';
import { writeArrowFile } from './arrow-file.js';
import { exportTables } from './export-tables.js';
import { describeOutput, renderCodebook } from './output-columns.js';

export interface OutputFile {
  path: string;
  sha256: string;
  rows: number | null;
}

export interface PublishRequest {
  db: Database;
  outputDir: string;
  runId: string;
  study: StudyConfig;
  /** Everything else manifest.json records (config, inputs, timings, status). */
  manifest: Record<string, unknown>;
}

export interface PublishedRun {
  runDir: string;
  disclosure: DisclosureReport;
}

const RESTRICTED_TABLES = [
  { file: 'cohort.parquet', source: 'select * from cohort order by person_id' },
  { file: 'matches.parquet', source: 'select * from matches order by person_id' },
  { file: 'subgroup_matches.parquet', source: 'select * from subgroup_matches order by subgroup, level, person_id' },
  { file: 'rejects.parquet', source: 'select * from rejects order by delivery_id, file, line_number' },
] as const;

/** Writes Parquet with the output's description and column descriptions (output-columns.ts) in its key-value metadata. */
async function copyParquet(db: Database, source: string, path: string, output = basename(path), options = ''): Promise<void> {
  const described = describeOutput(output);
  if (!described) throw new Error(`publish: ${output} has no entry in output-columns.ts`);
  const metadata = `kv_metadata {description: ${quoteLiteral(described.description)}, column_descriptions: ${quoteLiteral(JSON.stringify(described.columns))}}`;
  await db.run(
    `publish: ${path}`,
    `copy (${source}) to ${quoteLiteral(path)} (format parquet, compression zstd, ${metadata}${options ? `, ${options}` : ''})`,
  );
}

/**
 * The panel, hive-partitioned by event month, each file in person_id order.
 * A partitioned COPY fills a directory from every thread, so its row order,
 * and its bytes, could differ from run to run; on one thread it follows the
 * ORDER BY, and takes no longer than several ordered COPYs would.
 */
async function writePanel(db: Database, dir: string): Promise<void> {
  const [setting] = await db.query<{ threads: number }>('publish: threads', "select current_setting('threads')::integer as threads");
  await db.run('publish: one thread', 'set threads = 1');
  try {
    await copyParquet(db, 'select * from panel_person_month order by person_id, event_month', dir, 'panel', 'partition_by (event_month)');
  } finally {
    await db.run('publish: threads again', `set threads = ${setting!.threads}`);
  }
}

export async function publishRun(request: PublishRequest): Promise<PublishedRun> {
  const { db, outputDir, runId } = request;
  const runsDir = join(outputDir, 'runs');
  const partialDir = join(runsDir, `.partial-${runId}`);
  // Leftovers of killed runs; the warehouse lock means no other run is publishing now.
  removePartialRuns(runsDir);
  mkdirSync(join(partialDir, 'restricted'), { recursive: true });
  mkdirSync(join(partialDir, 'export'), { recursive: true });

  for (const table of RESTRICTED_TABLES) await copyParquet(db, table.source, join(partialDir, 'restricted', table.file));
  await writePanel(db, join(partialDir, 'restricted', 'panel'));

  const tables = exportTables(request.study);
  const { min_cell_persons: threshold, round_counts_to: roundCountsTo } = request.study.disclosure;
  const disclosure = await applyDisclosureControl(db, tables, threshold, roundCountsTo ?? null, await chooseAttritionSteps(db, request.study));
  for (const warning of disclosure.warnings) logInfo(`disclosure warning: ${warning}`);
  for (const table of tables) {
    await copyParquet(db, `select * from disclosed_${table.name}`, join(partialDir, 'export', `${table.name}.parquet`));
  }
  await writeArrowFile(db, 'publish: effects.arrow', 'select * from disclosed_effects', join(partialDir, 'export', 'effects.arrow'));
  writeFileSync(join(partialDir, 'export', 'disclosure.json'), `${JSON.stringify(disclosure, null, 2)}\n`);
  await writeStudyReport(partialDir, request.study);
  writeFileSync(join(partialDir, 'export', 'codebook.md'), renderCodebook());

  const outputs = await describeOutputs(db, partialDir);
  writeFileSync(
    join(partialDir, 'manifest.json'),
    `${JSON.stringify({ run_id: runId, ...request.manifest, outputs }, null, 2)}\n`,
  );

  const runDir = join(runsDir, runId);
  renameSync(partialDir, runDir);
  pointCurrentAt(outputDir, runDir);
  return { runDir, disclosure };
}

/**
 * Chooses the attrition steps to publish (no small count as the difference
 * of two published ones). Drops between attrition steps that must be
 * published cannot be hidden, and are warned about.
 */
async function chooseAttritionSteps(db: Database, study: StudyConfig): Promise<string[]> {
  const threshold = study.disclosure.min_cell_persons;
  await db.runFile('disclosure/01_choose_attrition_steps.sql', { threshold });
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

function removePartialRuns(runsDir: string): void {
  if (!existsSync(runsDir)) return;
  for (const name of readdirSync(runsDir)) {
    if (name.startsWith('.partial-')) rmSync(join(runsDir, name), { recursive: true, force: true });
  }
}

/** Replaces `<out>/current` with a symlink to the run in one rename. */
function pointCurrentAt(outputDir: string, runDir: string): void {
  const next = join(outputDir, `.current-${process.pid}`);
  rmSync(next, { force: true });
  symlinkSync(relative(outputDir, runDir), next);
  renameSync(next, join(outputDir, 'current'));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

async function describeOutputs(db: Database, runDir: string): Promise<OutputFile[]> {
  const outputs: OutputFile[] = [];
  for (const path of listFiles(runDir)) {
    let rows: number | null = null;
    if (path.endsWith('.parquet')) {
      const [row] = await db.query<{ rows: number }>(
        'publish: count rows',
        `select count(*)::double as rows from read_parquet(${quoteLiteral(path)})`,
      );
      rows = row?.rows ?? 0;
    }
    outputs.push({ path: relative(runDir, path), sha256: await sha256OfFile(path), rows });
  }
  return outputs;
}
