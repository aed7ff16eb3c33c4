/**
 * The exit codes of every ipslink command: one stable table, printed by
 * `--help`, copied into README.md and docs/operations.md (a test keeps them
 * equal), and the only numbers `exitCodes` in errors.ts may use.
 */
export interface ExitCode {
  code: number;
  name: string;
  /** One short line for --help. */
  summary: string;
  /** What happened. */
  meaning: string;
  /** What an operator does about it. */
  action: string;
}

export const EXIT_CODES = {
  success: { code: 0, name: 'success', summary: 'published a new run', meaning: 'done; `run` published a new run', action: 'nothing' },
  no_op: {
    code: 0,
    name: 'no-op',
    summary: 'nothing new since the last run; published nothing',
    meaning: '`run` found no new delivery and no change of config or code since the last run, and published nothing',
    action: 'nothing; `run --force` recomputes anyway',
  },
  usage: {
    code: 2,
    name: 'usage',
    summary: 'bad arguments, or no such run or file',
    meaning: 'bad command-line arguments, or a run/file named that does not exist',
    action: 'fix the command (see --help)',
  },
  config: {
    code: 3,
    name: 'config',
    summary: 'study config missing or invalid, or pull token unset',
    meaning: 'the study config is missing or invalid, or the pull token variable is unset',
    action: 'fix the config or the environment',
  },
  delivery_refused: {
    code: 4,
    name: 'delivery refused',
    summary: 'a delivery failed its checks; nothing of it loaded',
    meaning: 'a delivery is incomplete, changed, mislabelled or fails its sha256 or row count (landing or pull source)',
    action: 'ask the sender for a corrected delivery under a new id; nothing was loaded from it',
  },
  not_estimable: {
    code: 5,
    name: 'not estimable',
    summary: 'the study cannot be estimated on these data',
    meaning: 'the study cannot be estimated on these data (an empty arm, a DiD without variation, no price index for a year)',
    action: 'check the population rules and the deliveries',
  },
  matching_failed: {
    code: 6,
    name: 'matching failed',
    summary: 'the PS model or the matching found no solution',
    meaning: 'the propensity-score model or the matching found no solution',
    action: 'change the matching settings',
  },
  data_quality: {
    code: 7,
    name: 'data-quality breach',
    summary: 'audit: data quality past thresholds; not published',
    meaning: 'the audit found rejected rows, linkage or cohort size past the config thresholds (`audit:`); run kept as failed_audit',
    action: 'inspect the failed run (`ipslink runs`), then fix the delivery or the thresholds; `current` did not move',
  },
  balance_gate: {
    code: 8,
    name: 'balance gate',
    summary: 'audit: balance gate failed; not published',
    meaning: 'covariate balance after matching is worse than matching.balance_max_abs_smd; run kept as failed_audit',
    action: 'inspect balance.parquet of the failed run; change the matching; `current` did not move',
  },
  source_unavailable: {
    code: 69,
    name: 'source unavailable',
    summary: 'pull source unreachable after every retry',
    meaning: 'the pull source could not be reached or kept failing after every retry',
    action: 'rerun later; nothing partial was left in the landing directory',
  },
  internal: {
    code: 70,
    name: 'internal',
    summary: 'a bug or a system error; not published',
    meaning: 'a bug or an unexpected system error (disk full, a failed disclosure audit)',
    action: 'rerun with --debug and report it; `current` did not move',
  },
  locked: {
    code: 75,
    name: 'locked',
    summary: 'another ipslink process holds the warehouse',
    meaning: 'another ipslink process holds the warehouse',
    action: 'nothing: the other run is working; a lock of a killed process is released by the system',
  },
} as const satisfies Record<string, ExitCode>;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** The table as Markdown (README.md, docs/operations.md). */
export function exitCodeMarkdown(): string {
  const rows = Object.values(EXIT_CODES).map((exit) => `| ${exit.code} | ${exit.name} | ${exit.meaning} | ${exit.action} |`);
  return ['| exit | name | meaning | what to do |', '|---|---|---|---|', ...rows].join('\n');
}

/** The table as plain text for `--help`. */
export function exitCodeText(): string {
  const width = Math.max(...Object.values(EXIT_CODES).map((exit) => exit.name.length));
  const rows = Object.values(EXIT_CODES).map((exit) => `  ${String(exit.code).padStart(2)}  ${exit.name.padEnd(width)}  ${exit.summary}`);
  return ['Exit codes (README.md and docs/operations.md say what to do about each):', ...rows].join('\n');
}
