/** `ipslink run` and `ipslink validate`. */
import type { CommandModule } from 'yargs';
import { exitCodeFor, fail, messageFor, PipelineFailure } from '../errors.js';
import { logError, logInfo } from '../log.js';
import type { RunRecord } from '../run/history.js';

/** The pipeline, loaded when a command runs rather than at start-up, so that --help does not load DuckDB, Arrow or Vega. */
async function loadPipeline() {
  const [{ loadStudyConfig }, { auditFailure, runStudy, validateStudy }, { formatRunSummary }] = await Promise.all([
    import('../config/study-config.js'),
    import('../run/run-study.js'),
    import('../run/summary.js'),
  ]);
  return { loadStudyConfig, auditFailure, runStudy, validateStudy, formatRunSummary };
}

interface RunArgs {
  config: string;
  landing?: string;
  out?: string;
  threads?: number;
  force?: boolean;
}

const studyOptions = {
  config: { type: 'string', demandOption: true, describe: 'study config (YAML), e.g. config/demo.yaml' },
  landing: { type: 'string', describe: "landing directory with one subdirectory per delivery (overrides the config's)" },
  out: { type: 'string', describe: "output directory (overrides the config's)" },
  threads: { type: 'number', describe: 'DuckDB threads, instead of resources.threads (results do not depend on it)' },
} as const;

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe:
    'the whole pipeline: ingest, validate, link, cohort, panel, match, subgroups (when the config asks), estimate (matched ATT, DiD), ' +
    'costs, monitoring, disclosure control; then the audit (data quality, balance gate, disclosure) and, if it passes, publish. ' +
    'With nothing new since the last run (same deliveries, config and code) it publishes nothing and exits 0 (a no-op).',
  builder: (yargs) =>
    yargs.options({
      ...studyOptions,
      force: { type: 'boolean', describe: 'recompute and publish even when nothing changed since the last run' },
    }),
  handler: async (args) => {
    const { loadStudyConfig, auditFailure, runStudy, formatRunSummary } = await loadPipeline();
    const loaded = loadStudyConfig(args.config);
    logInfo(`ipslink run: study ${loaded.config.study}`, { event: 'command_started', study: loaded.config.study });
    const result = await runStudy({ loaded, landing: args.landing, output: args.out, threads: args.threads, force: args.force });
    if (result.status === 'no_op') {
      process.stdout.write(`no-op: nothing new since run ${result.sameAs.run_id} (${result.sameAs.status}); published nothing\n`);
      if (result.sameAs.status === 'failed_audit') {
        fail({ code: 'no_op_after_failed_audit', runId: result.sameAs.run_id, exitAs: failedAuditError(result.sameAs) });
      }
      return;
    }
    process.stdout.write(`${formatRunSummary(result.summary)}\n`);
    if (result.status === 'failed_audit') throw new PipelineFailure(auditFailure(result.runId, result.audit));
  },
};

/** The error code a failed audit ended with, from its history record. */
function failedAuditError(record: RunRecord): 'data_quality_breach' | 'balance_gate_failed' | 'disclosure_audit_failed' {
  if (record.failed_gate === 'balance') return 'balance_gate_failed';
  return record.failed_gate === 'disclosure' ? 'disclosure_audit_failed' : 'data_quality_breach';
}

/** A line of validate's tables: the label padded to `width`, then cells right-aligned in 11 columns each, then any note. */
function countsLine(label: string, width: number, cells: readonly (string | number | null)[], note?: string): string {
  return `${label.padEnd(width)}${cells.map((cell) => String(cell).padStart(11)).join('')}${note === undefined ? '' : `  ${note}`}`;
}

export const validateCommand: CommandModule<object, RunArgs> = {
  command: 'validate',
  describe:
    'ingest and data-quality checks only: loads new deliveries into the warehouse, reports linkage and coverage per extract, ' +
    'what each file added or corrected (new, replacing, unchanged, older than the version in force, withdrawn by a full file) ' +
    'and rejects per rule; publishes nothing. A refused delivery is named on its own line and left out, the others are ' +
    'still checked and loaded; any refusal exits 4',
  builder: (yargs) => yargs.options(studyOptions),
  handler: async (args) => {
    const { loadStudyConfig, validateStudy } = await loadPipeline();
    const loaded = loadStudyConfig(args.config);
    const result = await validateStudy({ loaded, landing: args.landing, output: args.out, threads: args.threads });
    const lines = [
      countsLine('extract', 20, ['read', 'accepted', 'rejected', 'superseded', 'in force', 'persons', 'orphans', 'dup keys'], 'coverage'),
    ];
    for (const row of result.linkage) {
      const { rows_read, rows_accepted, rows_rejected, rows_superseded, rows_in_force, persons, orphan_rows, duplicate_key_rows } = row;
      const coverage = row.coverage_from
        ? `${row.coverage_from}..${row.coverage_to} (${row.coverage_source}${row.coverage_gap_months ? `; ${row.coverage_gap_months} months not covered` : ''})`
        : '';
      const counts = [rows_read, rows_accepted, rows_rejected, rows_superseded, rows_in_force, persons, orphan_rows, duplicate_key_rows];
      lines.push(countsLine(row.extract, 20, counts, coverage));
    }
    const width = Math.max('delivery/file'.length, ...result.files.map((file) => `${file.delivery_id}/${file.file}`.length)) + 2;
    const withMode = (label: string, mode: string) => `${label.padEnd(width)}${mode.padStart(12)}`;
    lines.push(
      '',
      countsLine(withMode('delivery/file', 'mode'), 0, ['read', 'accepted', 'new', 'replacing', 'unchanged', 'older', 'withdrawn']),
    );
    for (const file of result.files) {
      const { rows_read, rows_accepted, rows_inserted, rows_replaced, rows_unchanged, rows_stale, rows_withdrawn } = file;
      const counts = [rows_read, rows_accepted, rows_inserted, rows_replaced, rows_unchanged, rows_stale, rows_withdrawn];
      lines.push(countsLine(withMode(`${file.delivery_id}/${file.file}`, file.mode), 0, counts));
    }
    lines.push('', 'rejected rows per rule:');
    for (const row of result.rejectsByRule) lines.push(`  ${row.rule_id.padEnd(50)}${String(row.rows).padStart(8)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    // A single refusal ends the command as its own error; several get a line each, then one line counting them.
    if (result.refused.length === 1) throw new PipelineFailure(result.refused[0]!.error);
    for (const { error } of result.refused) {
      logError(`ipslink: ${messageFor(error)}`, { event: 'delivery_refused', code: error.code, exit_code: exitCodeFor(error) });
    }
    if (result.refused.length) fail({ code: 'deliveries_refused', refused: result.refused.length, total: result.deliveries });
  },
};
