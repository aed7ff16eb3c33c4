/** `ipslink run` and `ipslink validate`. */
import type { CommandModule } from 'yargs';
import { loadStudyConfig } from '../config/study-config.js';
import { logInfo } from '../log.js';
import { runStudy, validateStudy } from '../run/run-study.js';
import { formatRunSummary } from '../run/summary.js';

interface RunArgs {
  config: string;
  landing?: string;
  out?: string;
  threads?: number;
}

const studyOptions = {
  config: { type: 'string', demandOption: true, describe: 'study config (YAML), e.g. config/demo.yaml' },
  landing: { type: 'string', describe: "landing directory with one subdirectory per delivery (overrides the config's)" },
  out: { type: 'string', describe: "output directory (overrides the config's)" },
  threads: { type: 'number', describe: 'DuckDB threads (results do not depend on it)' },
} as const;

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe:
    'the whole pipeline: ingest, validate, link, cohort, panel, match, subgroups (when the config asks), estimate (matched ATT, DiD), costs, monitoring, disclosure control, publish',
  builder: (yargs) => yargs.options(studyOptions),
  handler: async (args) => {
    const loaded = loadStudyConfig(args.config);
    logInfo(`ipslink run: study ${loaded.config.study}`);
    const result = await runStudy({ loaded, landing: args.landing, output: args.out, threads: args.threads });
    process.stdout.write(`${formatRunSummary(result.summary)}\n`);
  },
};

export const validateCommand: CommandModule<object, RunArgs> = {
  command: 'validate',
  describe:
    'ingest and data-quality checks only: loads new deliveries into the warehouse, reports linkage and coverage per extract, ' +
    'what each file added or corrected (new, replacing, unchanged, older than the version in force, withdrawn by a full file) ' +
    'and rejects per rule; publishes nothing',
  builder: (yargs) => yargs.options(studyOptions),
  handler: async (args) => {
    const loaded = loadStudyConfig(args.config);
    const result = await validateStudy({ loaded, landing: args.landing, output: args.out, threads: args.threads });
    const names = ['read', 'accepted', 'rejected', 'superseded', 'in force', 'persons', 'orphans', 'dup keys'];
    const lines = [`${'extract'.padEnd(20)}${names.map((name) => name.padStart(11)).join('')}  coverage`];
    for (const row of result.linkage) {
      const counts = [
        row.rows_read,
        row.rows_accepted,
        row.rows_rejected,
        row.rows_superseded,
        row.rows_in_force,
        row.persons,
        row.orphan_rows,
        row.duplicate_key_rows,
      ];
      const coverage = row.coverage_from
        ? `${row.coverage_from}..${row.coverage_to} (${row.coverage_source}${row.coverage_gap_months ? `; ${row.coverage_gap_months} months not covered` : ''})`
        : '';
      lines.push(`${row.extract.padEnd(20)}${counts.map((count) => String(count).padStart(11)).join('')}  ${coverage}`);
    }
    const fileCounts = ['read', 'accepted', 'new', 'replacing', 'unchanged', 'older', 'withdrawn'];
    const width = Math.max('delivery/file'.length, ...result.files.map((file) => `${file.delivery_id}/${file.file}`.length)) + 2;
    lines.push('', `${'delivery/file'.padEnd(width)}${'mode'.padStart(12)}${fileCounts.map((name) => name.padStart(11)).join('')}`);
    for (const file of result.files) {
      const counts = [
        file.rows_read,
        file.rows_accepted,
        file.rows_inserted,
        file.rows_replaced,
        file.rows_unchanged,
        file.rows_stale,
        file.rows_withdrawn,
      ];
      lines.push(
        `${`${file.delivery_id}/${file.file}`.padEnd(width)}${file.mode.padStart(12)}${counts.map((count) => String(count).padStart(11)).join('')}`,
      );
    }
    lines.push('', 'rejected rows per rule:');
    for (const row of result.rejectsByRule) lines.push(`  ${row.rule_id.padEnd(50)}${String(row.rows).padStart(8)}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
