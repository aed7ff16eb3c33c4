/**
 * `ipslink runs` (the run history), `ipslink status` (where the study
 * stands) and `ipslink publish --run ID` (point `current` at an earlier
 * published run: a roll-back).
 */
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { fail } from '../errors.js';
import { logInfo } from '../log.js';
import { readManifest } from '../publish/manifest.js';
import { currentRunId, readRunManifests } from '../publish/retention.js';
import { lastStagedRun, type RunRecord, readRunHistory } from '../run/history.js';

interface StudyArgs {
  config: string;
  out?: string;
  landing?: string;
  json?: boolean;
}

const studyOptions = {
  config: { type: 'string', demandOption: true, describe: 'study config (YAML)' },
  out: { type: 'string', describe: "output directory (overrides the config's)" },
  landing: { type: 'string', describe: "landing directory (overrides the config's)" },
  json: { type: 'boolean', describe: 'print JSON instead of a table' },
} as const;

/** A run as `runs` shows it: its history record, whether its directory is still kept, whether it is current. */
export interface RunListing extends RunRecord {
  kept: boolean;
  current: boolean;
}

/**
 * The history, with each record's directory state. Runs published before
 * the history existed are listed from their manifests.
 */
export function listRuns(output: string): RunListing[] {
  const history = readRunHistory(output);
  const manifests = readRunManifests(output);
  const kept = new Set(manifests.map((manifest) => manifest.run_id));
  const current = currentRunId(output);
  const known = new Set(history.map((record) => record.run_id));
  const legacy: RunRecord[] = manifests
    .filter((manifest) => !known.has(manifest.run_id))
    .map((manifest) => ({
      run_id: manifest.run_id,
      status: manifest.status,
      started_at: manifest.started_at,
      finished_at: manifest.finished_at,
      duration_ms: Date.parse(manifest.finished_at) - Date.parse(manifest.started_at),
      fingerprint: manifest.fingerprint,
      exit_code: 0,
    }));
  return [...legacy, ...history]
    .sort((a, b) => a.started_at.localeCompare(b.started_at))
    .map((record) => ({ ...record, kept: kept.has(record.run_id), current: record.run_id === current }));
}

function auditCell(record: RunRecord): string {
  if (record.status === 'published') return 'passed';
  if (record.status === 'failed_audit') return `failed: ${record.failed_gate}`;
  if (record.status === 'no_op') return `same as ${record.same_as}`;
  return `error: ${record.error_code}`;
}

const count = (value: number | undefined) => (value === undefined ? '' : value.toLocaleString('en-GB'));

async function renderRuns(runs: readonly RunListing[]): Promise<string> {
  const { default: Table } = await import('cli-table3');
  const table = new Table({
    head: ['run', 'status', 'started (UTC)', 'seconds', 'rows read', 'rejected', 'cohort T/C', 'audit', 'exit', 'kept', 'current'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const run of runs) {
    const counts = run.counts;
    table.push([
      run.run_id,
      run.status,
      run.started_at.slice(0, 19).replace('T', ' '),
      (run.duration_ms / 1000).toFixed(1),
      count(counts?.rows_read),
      count(counts?.rows_rejected),
      counts ? `${count(counts.cohort_treated)}/${count(counts.cohort_control)}` : '',
      auditCell(run),
      String(run.exit_code),
      run.status === 'no_op' || run.status === 'failed' ? '' : run.kept ? 'yes' : 'pruned',
      run.current ? '*' : '',
    ]);
  }
  return runs.length ? table.toString() : 'no runs yet';
}

// Modules beyond the history and manifests are loaded when a command needs them, so that --help stays fast.
async function studyPaths(args: StudyArgs) {
  const { loadStudyConfig } = await import('../config/study-config.js');
  const { config } = loadStudyConfig(args.config);
  return { config, output: resolve(args.out ?? config.output), landing: resolve(args.landing ?? config.landing) };
}

export const runsCommand: CommandModule<object, StudyArgs> = {
  command: 'runs',
  describe:
    'run history of a study, oldest first: status (published, failed_audit, no_op, failed), start, duration, rows read and rejected, ' +
    'cohort persons per arm, audit result, exit code, whether the run directory is kept and which run is current',
  builder: (yargs) => yargs.options(studyOptions),
  handler: async (args) => {
    const runs = listRuns((await studyPaths(args)).output);
    process.stdout.write(args.json ? `${JSON.stringify(runs, null, 2)}\n` : `${await renderRuns(runs)}\n`);
  },
};

export interface StudyStatus {
  study: string;
  last_run: RunListing | null;
  current: string | null;
  /** Delivery directories in the landing directory that the last staged run did not load. */
  pending_deliveries: string[];
}

export const statusCommand: CommandModule<object, StudyArgs> = {
  command: 'status',
  describe: 'where a study stands: the last run and how it ended, the run current points at, and deliveries not yet processed',
  builder: (yargs) => yargs.options(studyOptions),
  handler: async (args) => {
    const { config, output, landing } = await studyPaths(args);
    const { listDeliveryDirs } = await import('../ingest/delivery-manifest.js');
    const runs = listRuns(output);
    const staged = lastStagedRun(runs);
    const loaded = new Set(staged?.fingerprint?.deliveries ?? []);
    const status: StudyStatus = {
      study: config.study,
      last_run: runs.at(-1) ?? null,
      current: currentRunId(output),
      pending_deliveries: listDeliveryDirs(landing).filter((name) => !loaded.has(name)),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    const last = status.last_run;
    process.stdout.write(
      `${[
        `study: ${status.study}`,
        `last run: ${last ? `${last.run_id} ${last.status} (${auditCell(last)}), exit ${last.exit_code}, ${(last.duration_ms / 1000).toFixed(1)} s` : 'none'}`,
        `current: ${status.current ?? 'none'}`,
        `deliveries not yet processed: ${status.pending_deliveries.length ? status.pending_deliveries.join(', ') : 'none'}`,
      ].join('\n')}\n`,
    );
  },
};

interface PublishArgs {
  config: string;
  out?: string;
  run: string;
}

export const publishCommand: CommandModule<object, PublishArgs> = {
  command: 'publish',
  describe:
    'point current at an earlier published run (a roll-back), by one atomic rename; waits for no run: refused while another ipslink ' +
    'process holds the warehouse. Until something changes, the nightly run is then a no-op and leaves current there.',
  builder: (yargs) =>
    yargs.options({
      config: studyOptions.config,
      out: studyOptions.out,
      run: { type: 'string', demandOption: true, describe: 'the run id (see ipslink runs)' },
    }),
  handler: async (args) => {
    const { output } = await studyPaths({ config: args.config, out: args.out });
    if (!/^[0-9TZ]+-[0-9a-f]+$/.test(args.run))
      fail({ code: 'usage', message: `--run ${JSON.stringify(args.run)} is not a run id (see ipslink runs)` });
    const runDir = join(output, 'runs', args.run);
    const manifest = readManifest(runDir);
    if (manifest.status !== 'published') {
      fail({ code: 'usage', message: `run ${args.run} is ${manifest.status}; only a run that passed its audit can be current` });
    }
    const [{ Database }, { pointCurrentAt }] = await Promise.all([import('../db/database.js'), import('../publish/index.js')]);
    // The warehouse lock: no run is publishing or pruning while current moves.
    const db = await Database.open(join(output, 'warehouse.duckdb'));
    try {
      pointCurrentAt(output, runDir);
    } finally {
      db.close();
    }
    logInfo(`current now points at run ${args.run}`, { event: 'current_moved', run: args.run });
    process.stdout.write(`current: ${args.run}\n`);
  },
};
