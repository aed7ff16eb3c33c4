/**
 * `ipslink run` and `ipslink validate`: opens the study's warehouse (its
 * lock keeps a second writer out), and for a run: pulls new deliveries when
 * the config names a source, compares what the results
 * depend on with the last staged run and stops when nothing changed (a
 * no-op); otherwise runs the pipeline's stages (run-stages.ts: in order, two
 * at once where their tables allow), stages the run's
 * files, audits them (audit.ts), keeps the run (published or failed_audit),
 * moves `current` when the audit passed, prunes old runs, and records the
 * outcome in the run history.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { studyPipeline, tablesKeptBetweenRuns, validationPipeline } from '../../pipelines/study.js';
import { type Resources, resolveResources } from '../config/resources.js';
import { configWarnings, type LoadedStudyConfig, type StudyConfig } from '../config/study-config.js';
import { Database } from '../db/database.js';
import { exitCodeFor, type PipelineError, PipelineFailure } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { ensurePrivateDir, holdOwnerOnlyUmask, makePrivate } from '../file-modes.js';
import { selectedDeliveries } from '../ingest/delivery-manifest.js';
import { type IngestedFile, readIngestedFiles, WAREHOUSE_SCHEMA_VERSION, warehouseSchemaVersion } from '../ingest/index.js';
import { logInfo, logWarning, setLogContext } from '../log.js';
import { startProgress } from '../progress.js';
import { finishRun, pointCurrentAt, removeRunLeftovers, type StagedRun, stageRun } from '../publish/index.js';
import type { RunManifest } from '../publish/manifest.js';
import { pruneRuns } from '../publish/retention.js';
import { pullDeliveries } from '../pull/index.js';
import type { StageContext, StageReport } from '../stage.js';
import { type Audit, type AuditGate, auditRun, describeFailedChecks } from './audit.js';
import { fingerprintChanges, type RunFingerprint, runFingerprint, sameFingerprint } from './fingerprint.js';
import { appendRunRecord, lastStagedRun, type RunRecord, readRunHistory } from './history.js';
import { prepareOutputDirectory, WAREHOUSE_FILE } from './output-directory.js';
import { runStages } from './run-stages.js';
import { type RunSummary, readRunSummary } from './summary.js';

export interface RunOptions {
  loaded: LoadedStudyConfig;
  landing?: string;
  output?: string;
  threads?: number;
  /** Recompute even when nothing changed since the last staged run. */
  force?: boolean;
}

/** A run that computed and was kept: published, or failed_audit. */
export interface StagedRunResult {
  status: 'published' | 'failed_audit';
  runId: string;
  runDir: string;
  audit: Audit;
  summary: RunSummary;
}

export interface NoOpRunResult {
  status: 'no_op';
  runId: string;
  /** The staged run with the same fingerprint, and how it ended. */
  sameAs: RunRecord;
}

export type RunResult = StagedRunResult | NoOpRunResult;

export function newRunId(now = new Date()): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** The open warehouse; close() also gives the process its umask back. */
interface Warehouse {
  db: Database;
  close(): void;
}

/**
 * Opens `<out>/warehouse.duckdb` after checking the output directory
 * (output-directory.ts). Until close(), files are created owner-only
 * (file-modes.ts): DuckDB writes its WAL and spill files at any time.
 */
async function openWarehouse(output: string, resources: Resources): Promise<Warehouse> {
  prepareOutputDirectory(output);
  // Spill files hold person-level rows.
  ensurePrivateDir(resources.tempDirectory);
  const releaseUmask = holdOwnerOnlyUmask();
  try {
    const path = join(output, WAREHOUSE_FILE);
    const db = await Database.open(path, {
      threads: resources.threads,
      memoryLimit: resources.duckdbMemoryLimit,
      tempDirectory: resources.tempDirectory,
    });
    // A warehouse made by an earlier version, under a looser umask.
    makePrivate(path);
    makePrivate(`${path}.wal`);
    // The file keeps what was delivered; every later stage's tables are the run's, in memory.
    await useRunCatalog(db).catch((error) => {
      db.close();
      throw error;
    });
    return {
      db,
      close: () => {
        try {
          db.close();
        } finally {
          releaseUmask();
        }
      },
    };
  } catch (error) {
    releaseUmask();
    throw error;
  }
}

/**
 * Attaches the run's in-memory catalog (Database.attachRunCatalog). A warehouse of this schema version made by an
 * earlier ipslink, which kept every stage's tables in the file, first loses those: they are never read again. One of
 * another version is left as it is (ingest refuses it: warehouse_outdated).
 */
async function useRunCatalog(db: Database): Promise<void> {
  if ((await warehouseSchemaVersion(db)) === WAREHOUSE_SCHEMA_VERSION) await db.dropFileTablesExcept(tablesKeptBetweenRuns);
  await db.attachRunCatalog();
}

/** The error a failed audit ends the command with. */
export function auditFailure(runId: string, audit: Audit): PipelineError {
  const gate = audit.failed_gate as AuditGate;
  if (gate === 'balance') {
    const smd = audit.balance_gate.max_abs_smd_after ?? 0;
    return { code: 'balance_gate_failed', runId, maxAbsSmd: smd, threshold: audit.balance_gate.limit };
  }
  const problems = describeFailedChecks(audit, gate);
  return gate === 'data_quality'
    ? { code: 'data_quality_breach', runId, breaches: problems }
    : { code: 'disclosure_audit_failed', runId, problems };
}

/** What the run had of the machine, and the most memory the process held (its peak resident set so far). */
function resourcesUsed(resources: Resources): RunManifest['resources'] {
  return {
    memory_limit_bytes: resources.memoryLimitBytes,
    memory_limit_from: resources.memoryLimitFrom,
    duckdb_memory_limit: resources.duckdbMemoryLimit,
    threads: resources.threads,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
  };
}

/** Row and person counts for the run history. */
function runCounts(inputs: readonly IngestedFile[], audit: Audit, study: StudyConfig): Record<string, number> {
  const sum = (key: 'rows_read' | 'rows_accepted' | 'rows_rejected') => inputs.reduce((total, file) => total + file[key], 0);
  const cohort = (arm: string) => audit.checks.find((item) => item.check === 'cohort_persons' && item.subject === arm)?.value ?? 0;
  return {
    deliveries: new Set(inputs.map((file) => file.delivery_id)).size,
    rows_read: sum('rows_read'),
    rows_accepted: sum('rows_accepted'),
    rows_rejected: sum('rows_rejected'),
    cohort_treated: cohort(study.arms.treated),
    cohort_control: cohort(study.arms.control),
  };
}

/** With `force`, the run always computes. */
export async function runStudy(options: RunOptions & { force: true }): Promise<StagedRunResult>;
export async function runStudy(options: RunOptions): Promise<RunResult>;
export async function runStudy(options: RunOptions): Promise<RunResult> {
  const { config: study, file, sha256 } = options.loaded;
  const landing = resolve(options.landing ?? study.landing);
  const output = resolve(options.output ?? study.output);
  const runId = newRunId();
  const started = new Date();
  const resources = resolveResources(study.resources, output, { threads: options.threads });
  const { db, close: closeWarehouse } = await openWarehouse(output, resources);
  setLogContext({ run_id: runId });
  let fingerprint: RunFingerprint | undefined;
  const record = (fields: Omit<RunRecord, 'run_id' | 'started_at' | 'finished_at' | 'duration_ms' | 'fingerprint'>) => {
    const finished = new Date();
    appendRunRecord(output, {
      run_id: runId,
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      duration_ms: finished.getTime() - started.getTime(),
      ...(fingerprint ? { fingerprint } : {}),
      ...fields,
    });
  };
  try {
    removeRunLeftovers(output);
    // Under the warehouse lock, so that two runs never pull into one landing directory at once.
    if (study.pull) await pullDeliveries({ pull: study.pull, landing, deliveries: study.deliveries });
    fingerprint = runFingerprint(landing, study.deliveries, sha256);
    const previous = lastStagedRun(readRunHistory(output));
    if (!options.force && previous && sameFingerprint(fingerprint, previous.fingerprint)) {
      // Nothing new after a failed audit fails again, with the same exit code.
      const exitCode = previous.status === 'failed_audit' ? previous.exit_code : EXIT_CODES.no_op.code;
      record({ status: 'no_op', same_as: previous.run_id, exit_code: exitCode });
      logInfo(`nothing new since run ${previous.run_id} (${previous.status}): same deliveries, config and code; published nothing`, {
        event: 'run_no_op',
        same_as: previous.run_id,
      });
      return { status: 'no_op', runId, sameAs: previous };
    }
    logInfo(`ipslink run ${runId}: ${fingerprintChanges(fingerprint, previous?.fingerprint).join(', ')}`, { event: 'run_started' });
    const warnings = configWarnings(study);
    for (const warning of warnings) logWarning(warning, { event: 'config_warning' });
    const context: StageContext = { db, study, runId, landing, resources };
    const progress = startProgress('run', studyPipeline.length + 1, 'steps');
    let stages: StageReport[];
    let staged: StagedRun;
    let audit: Audit;
    try {
      stages = await runStages(studyPipeline, context, progress);
      progress.update(studyPipeline.length, 'audit and publish');
      staged = await stageRun({ db, outputDir: output, runId, study });
      audit = await auditRun(db, study, staged.exportDir);
    } finally {
      progress.stop();
    }
    const inputs = await readIngestedFiles(db);
    const status = audit.passed ? 'published' : 'failed_audit';
    const runDir = finishRun(staged, {
      run_id: runId,
      status,
      study: study.study,
      config: { file, sha256, settings: study },
      config_warnings: warnings,
      code_version: fingerprint.code_version,
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      inputs,
      stages,
      balance_gate: audit.balance_gate,
      fingerprint,
      audit,
      outputs: staged.outputs,
      resources: resourcesUsed(resources),
    });
    if (audit.passed) pointCurrentAt(output, runDir);
    pruneRuns(output, study.retention);
    const counts = runCounts(inputs, audit, study);
    if (audit.passed) {
      record({ status, exit_code: EXIT_CODES.success.code, counts });
      logInfo(`published run ${runId}`, { event: 'run_published', counts });
    } else {
      const error = auditFailure(runId, audit);
      record({ status, exit_code: exitCodeFor(error), failed_gate: audit.failed_gate ?? undefined, counts });
      logWarning(`run ${runId} kept as failed_audit (${audit.failed_gate}); current not moved`, { event: 'run_failed_audit', counts });
    }
    return { status, runId, runDir, audit, summary: await readRunSummary(runDir, landing, study) };
  } catch (error) {
    const code = error instanceof PipelineFailure ? error.error.code : 'internal';
    const exitCode = error instanceof PipelineFailure ? exitCodeFor(error.error) : EXIT_CODES.internal.code;
    record({ status: 'failed', exit_code: exitCode, error_code: code });
    throw error;
  } finally {
    closeWarehouse();
    setLogContext({ run_id: undefined });
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
  /** Deliveries refused (each left out, the others loaded), and how many were looked at. */
  refused: { delivery: string; error: PipelineError }[];
  deliveries: number;
}

/** Ingest and data-quality checks only; publishes nothing. */
export async function validateStudy(options: RunOptions): Promise<ValidationResult> {
  const { config: study } = options.loaded;
  const landing = resolve(options.landing ?? study.landing);
  const output = resolve(options.output ?? study.output);
  const { db, close: closeWarehouse } = await openWarehouse(
    output,
    resolveResources(study.resources, output, { threads: options.threads }),
  );
  try {
    const refused: ValidationResult['refused'] = [];
    const context: StageContext = {
      db,
      study,
      runId: `validate-${newRunId()}`,
      landing,
      onRefusedDelivery: (delivery, failure) => refused.push({ delivery, error: failure.error }),
    };
    const progress = startProgress('validate', validationPipeline.length, 'stages');
    try {
      await runStages(validationPipeline, context, progress);
    } finally {
      progress.stop();
    }
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
    const deliveries = selectedDeliveries(landing, study.deliveries).length;
    return { files: await readIngestedFiles(db), linkage, rejectsByRule, refused, deliveries };
  } finally {
    closeWarehouse();
  }
}
