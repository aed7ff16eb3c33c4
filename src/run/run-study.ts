/**
 * `ipslink run` and `ipslink validate`: opens the study's warehouse, runs
 * the pipeline's stages in order and, for a full run, publishes the result.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { studyPipeline, validationPipeline } from '../../pipelines/study.js';
import { configWarnings, type LoadedStudyConfig } from '../config/study-config.js';
import { Database } from '../db/database.js';
import { type IngestedFile, readIngestedFiles } from '../ingest/index.js';
import { logInfo } from '../log.js';
import { publishRun } from '../publish/index.js';
import { runStage, type Stage, type StageContext, type StageReport } from '../stage.js';
import { type BalanceGate, checkBalanceGate } from './balance-gate.js';
import { type RunSummary, readRunSummary } from './summary.js';

export interface RunOptions {
  loaded: LoadedStudyConfig;
  landing?: string;
  output?: string;
  threads?: number;
}

export interface RunResult {
  runId: string;
  runDir: string;
  balanceGate: BalanceGate;
  summary: RunSummary;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

function codeVersion(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return `${version}+${commit}`;
  } catch {
    return version;
  }
}

async function openWarehouse(output: string, threads?: number): Promise<Database> {
  mkdirSync(output, { recursive: true });
  return Database.open(join(output, 'warehouse.duckdb'), { threads, tempDirectory: join(output, '.tmp') });
}

async function runStages(stages: readonly Stage[], context: StageContext): Promise<StageReport[]> {
  const reports: StageReport[] = [];
  for (const stage of stages) {
    logInfo(`[${stage.name}]`);
    const report = await runStage(stage, context);
    logInfo(`[${stage.name}] done in ${(report.durationMs / 1000).toFixed(1)} s`);
    reports.push(report);
  }
  return reports;
}

export async function runStudy(options: RunOptions): Promise<RunResult> {
  const { config: study, file, sha256 } = options.loaded;
  const landing = resolve(options.landing ?? study.landing);
  const output = resolve(options.output ?? study.output);
  const runId = newRunId();
  const started = new Date();
  const warnings = configWarnings(study);
  for (const warning of warnings) logInfo(`warning: ${warning}`);
  const db = await openWarehouse(output, options.threads);
  try {
    const context: StageContext = { db, study, runId, landing };
    const stages = await runStages(studyPipeline, context);
    const balanceGate = await checkBalanceGate(db, study.matching.balance_max_abs_smd);
    const inputs = await readIngestedFiles(db);
    logInfo('[publish]');
    const { runDir } = await publishRun({
      db,
      outputDir: output,
      runId,
      study,
      manifest: {
        status: balanceGate.passed ? 'published' : 'published_failing_balance',
        study: study.study,
        config: { file, sha256, settings: study },
        config_warnings: warnings,
        code_version: codeVersion(),
        started_at: started.toISOString(),
        finished_at: new Date().toISOString(),
        inputs,
        stages,
        balance_gate: balanceGate,
      },
    });
    const summary = await readRunSummary(runDir, landing, study);
    return { runId, runDir, balanceGate, summary };
  } finally {
    db.close();
  }
}

export interface LinkageRow {
  extract: string;
  rows_read: number;
  rows_accepted: number;
  rows_rejected: number;
  rows_superseded: number;
  rows_in_force: number;
  persons: number;
  orphan_rows: number;
  duplicate_key_rows: number;
  coverage_from: string | null;
  coverage_to: string | null;
  coverage_gap_months: number | null;
  coverage_source: string | null;
}

export interface ValidationResult {
  /** Every file in the warehouse, with how its accepted rows relate to the versions in force. */
  files: IngestedFile[];
  linkage: LinkageRow[];
  rejectsByRule: { extract: string; rule_id: string; rows: number }[];
}

/** Ingest and data-quality checks only; publishes nothing. */
export async function validateStudy(options: RunOptions): Promise<ValidationResult> {
  const { config: study } = options.loaded;
  const landing = resolve(options.landing ?? study.landing);
  const output = resolve(options.output ?? study.output);
  const db = await openWarehouse(output, options.threads);
  try {
    await runStages(validationPipeline, { db, study, runId: `validate-${newRunId()}`, landing });
    const linkage = await db.query<LinkageRow>(
      'validate: linkage',
      `select * replace (${[
        'rows_read',
        'rows_accepted',
        'rows_rejected',
        'rows_superseded',
        'rows_in_force',
        'persons',
        'linked_rows',
        'orphan_rows',
        'duplicate_key_rows',
        'coverage_gap_months',
      ]
        .map((column) => `${column}::double as ${column}`)
        .join(', ')})
       from linkage`,
    );
    const rejectsByRule = await db.query<{ extract: string; rule_id: string; rows: number }>(
      'validate: rejects by rule',
      'select extract, rule_id, count(*)::double as rows from rejects group by extract, rule_id order by extract, rule_id',
    );
    return { files: await readIngestedFiles(db), linkage, rejectsByRule };
  } finally {
    db.close();
  }
}
