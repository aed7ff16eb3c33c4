/**
 * The study definition (DESIGN §3): one YAML file under config/, validated
 * with zod. Unknown keys are errors, so a typo cannot silently fall back to
 * a default.
 */

import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BENEFIT_TYPES, EXTRACTS, INCAPACITY_CAUSES, PROGRAMMES, TARGET_GROUPS } from '../contracts/extracts.js';
import { CPI_YEARS, DUTCH_GUIDELINE_DISCOUNT_RATES } from '../costs/consumer-price-index.js';
import { type EntryKind, fail, PipelineFailure } from '../errors.js';
import { PRIMARY_OUTCOMES } from './outcomes.js';
import { resourcesSchema } from './resources.js';

/** The follow-up months at which the monitoring table reports the cumulative share ever employed (as IPS programmes report it). */
export const EVER_EMPLOYED_REPORT_MONTHS = [12, 24, 30, 36];

/** The months the follow-up is reported at: follow_up.report_months and the last month of the follow-up. */
export function followUpReportMonths(followUp: Pick<StudyConfig['follow_up'], 'report_months' | 'months_after'>): number[] {
  return [...new Set([...followUp.report_months, followUp.months_after])].sort((a, b) => a - b);
}

/** Months before the index month the baseline covariates look back over (months worked and wages in the 24 months before). */
export const COVARIATE_LOOKBACK_MONTHS = 24;

/** Coarsened covariates available for exact matching, built by sql/cohort/. */
export const EXACT_MATCH_COVARIATES = [
  'age_band',
  'sex',
  'benefit_type',
  'benefit_duration_band',
  'prior_work_band',
  'index_year',
  'region',
  'incapacity_cause',
  'target_group',
  'funder',
] as const;

/** Numeric cohort covariates; every other covariate is categorical (dummy-coded). */
export const NUMERIC_COVARIATES = [
  'age_at_index',
  'benefit_duration_months',
  'months_worked_12m',
  'months_worked_24m',
  'wage_eur_12m',
  'wage_eur_24m',
] as const;

/** Covariates the propensity-score model may use: cohort columns built by sql/cohort/. */
export const PS_COVARIATES = [...NUMERIC_COVARIATES, ...EXACT_MATCH_COVARIATES] as const;

/** Baseline covariates whose balance is reported (DESIGN §3). */
export const BALANCE_COVARIATES = [
  'age_at_index',
  'sex',
  'benefit_type',
  'benefit_duration_months',
  'months_worked_12m',
  'months_worked_24m',
  'wage_eur_12m',
  'wage_eur_24m',
  'index_year',
  'region',
] as const;

/**
 * Subgroup analyses a study may ask for, with the cohort column each splits
 * on and where the controls come from. Target group and funder describe both
 * arms, so each level is matched on its own (both arms restricted to the
 * level). Providers run one programme only, so a provider's participants are
 * matched against the controls of every provider.
 */
export const SUBGROUPS = {
  target_group: { column: 'target_group', controls: 'same_level' },
  funder: { column: 'funder', controls: 'same_level' },
  provider: { column: 'provider_id', controls: 'all' },
} as const;

export type Subgroup = keyof typeof SUBGROUPS;

const isoDate = z.iso.date();

/** The defaults of `limits:` (the schema below says why each). */
export const DEFAULT_LIMITS = { max_file_mib: 65_536, max_line_kib: 1024 };

const EXTRACT_NAMES = EXTRACTS.map((extract) => extract.name) as [string, ...string[]];

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Pulls go over TLS; plain HTTP only to this machine (test servers). */
function isHttpsOrLoopback(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'https:' || LOOPBACK_HOSTS.has(parsed.hostname);
}
const ascending = (values: number[]) => values.every((value, index) => index === 0 || value > values[index - 1]!);

const studyConfigSchema = z.strictObject({
  study: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, - and _'),
  title: z.string().min(1),
  landing: z.string().min(1).describe('directory holding one subdirectory per delivery'),
  output: z.string().min(1).describe('output directory: warehouse, runs/ and current'),
  deliveries: z
    .union([
      z.literal('all'),
      z
        .array(
          z
            .string()
            .regex(/^[A-Za-z0-9_.-]+$/, 'a delivery directory name ([A-Za-z0-9_.-])')
            .refine((name) => name !== '.' && name !== '..', 'a delivery directory name, not . or ..'),
        )
        .min(1),
    ])
    .default('all'),
  index_window: z.strictObject({ from: isoDate, to: isoDate }).refine((window) => window.from <= window.to, {
    message: 'from must not be after to',
  }),
  population: z.strictObject({
    age_at_index: z.strictObject({ min: z.int().min(0), max: z.int().max(120) }),
    qualifying_benefits: z.array(z.enum(BENEFIT_TYPES)).min(1),
    /** Filters on the incapacity cause of the qualifying spell ongoing at index: recorded for both arms. */
    incapacity_causes: z.array(z.enum(INCAPACITY_CAUSES)).min(1).optional(),
    /** Filters on the first trajectory's target group: control trajectories seldom carry one (a warning says so). */
    target_groups: z.array(z.enum(TARGET_GROUPS)).min(1).optional(),
    /** Qualifying spells with at most this many days between them form one benefit episode. */
    episode_gap_days: z.int().min(0).max(366).default(31),
  }),
  arms: z
    .strictObject({
      treated: z.enum(PROGRAMMES),
      control: z.enum(PROGRAMMES),
      /**
       * Persons with a trajectory of the other programme before the index date: keep the arm of their first
       * trajectory, or exclude them. Trajectories after the index date never decide the arm (no hindsight).
       */
      both_programmes: z.enum(['first_trajectory', 'exclude']),
      /** Persons whose first trajectories of both programmes start on the same day: treated, or left out. */
      same_day: z.enum(['treated', 'exclude']).default('exclude'),
      /** Sensitivity: a control's months from the month they start the treated programme are not observed. */
      censor_control_at_treatment: z.boolean().default(false),
    })
    .refine((arms) => arms.treated !== arms.control, { message: 'treated and control must differ' }),
  coarsening: z.strictObject({
    age_band_starts: z.array(z.int()).min(1).refine(ascending, 'ascending'),
    benefit_duration_band_starts_months: z.array(z.int().min(0)).min(1).refine(ascending, 'ascending'),
    prior_work_band_starts_months: z.array(z.int().min(0).max(12)).min(1).refine(ascending, 'ascending'),
  }),
  matching: z
    .strictObject({
      /** exact: strata on the `exact` covariates; nearest: nearest neighbour on the logit PS. */
      method: z.enum(['exact', 'nearest']),
      /** exact: the strata; nearest: covariates matched exactly, PS matching within (may be empty). */
      exact: z.array(z.enum(EXACT_MATCH_COVARIATES)).default([]),
      /** nearest: covariates of the logistic PS model; string covariates are dummy-coded. */
      ps_covariates: z.array(z.enum(PS_COVARIATES)).default([]),
      ratio: z.int().min(1).max(10).default(1),
      /** Caliper in SDs of the logit PS over all units, as MatchIt's std.caliper. */
      caliper_sd_logit: z.number().positive().optional(),
      replace: z.boolean().default(false),
      /** Order in which treated units are matched (MatchIt's m.order). */
      order: z.enum(['largest', 'smallest', 'data']).default('largest'),
      balance_max_abs_smd: z.number().positive().default(0.1),
    })
    .refine((matching) => matching.method !== 'exact' || matching.exact.length > 0, {
      message: 'exact matching needs at least one covariate in exact',
      path: ['exact'],
    })
    .refine((matching) => matching.method !== 'nearest' || matching.ps_covariates.length > 0, {
      message: 'nearest-neighbour matching needs ps_covariates',
      path: ['ps_covariates'],
    }),
  /** Subgroup analyses (matched ATT per level); none when absent. */
  subgroups: z
    .array(z.enum(Object.keys(SUBGROUPS) as [Subgroup, ...Subgroup[]]))
    .default([])
    .refine((names) => new Set(names).size === names.length, 'each subgroup once'),
  outcomes: z.strictObject({
    min_hours_any: z.number().positive().default(1),
    min_hours_48h: z.number().positive().default(48),
  }),
  follow_up: z.strictObject({
    months_before: z.int().min(1).max(60).default(24),
    months_after: z.int().min(1).max(120).default(36),
    report_months: z.array(z.int().min(0)).min(1),
    /** Persons who reach state-pension (AOW) age during the follow-up: months from then on unobserved, or left out of the cohort. */
    state_pension_age: z.enum(['censor', 'exclude']).default('censor'),
  }),
  estimators: z
    .strictObject({
      /** The event-study DiD: effects relative to this pre-index event month (-1: the month before the index month). */
      did: z.strictObject({ reference_month: z.int().max(-1).default(-1) }).default({ reference_month: -1 }),
    })
    .default({ did: { reference_month: -1 } }),
  costs: z.strictObject({
    /** Used where a trajectory has no cost_eur (UWV paid about EUR 8,000 per IPS trajectory). */
    default_trajectory_cost_eur: z.strictObject({ treated: z.number().nonnegative(), control: z.number().nonnegative() }),
    /** ASSUMPTION used only when no delivery brought a healthcare_costs extract: healthcare cost per observed person-month, societal view only. */
    healthcare_eur_per_person_month: z
      .strictObject({ treated: z.number().nonnegative(), control: z.number().nonnegative() })
      .default({ treated: 0, control: 0 }),
    /** Annual discount rates, applied per follow-up year (year 1 undiscounted); see config/demo.yaml for the source. */
    discount_rates: z
      .strictObject({ costs: z.number().min(0).max(0.2), effects: z.number().min(0).max(0.2) })
      .default(DUTCH_GUIDELINE_DISCOUNT_RATES),
    /** Every euro is expressed in prices of this year through the consumer price index (sql/reference/02). */
    price_year: z.int().min(CPI_YEARS.from).max(CPI_YEARS.to),
    /** Willingness to pay per extra person in work: the net monetary benefit and the acceptability curve run over 0..max in steps. */
    willingness_to_pay_eur: z
      .strictObject({ max: z.number().positive(), step: z.number().positive() })
      .refine(({ max, step }) => max / step <= 200, 'at most 200 steps (max / step)')
      .default({ max: 100_000, step: 5_000 }),
    /** The effect an ICER is expressed per: the share in work at this month. */
    effect: z.strictObject({
      outcome: z.enum(PRIMARY_OUTCOMES),
      month: z.int().min(1),
    }),
    bootstrap: z.strictObject({
      replicates: z.int().min(99).max(100_000).default(999),
      seed: z.int().nonnegative(),
    }),
  }),
  /** Where `ipslink pull` (and `run`, first) fetches deliveries from; absent: deliveries arrive in the landing directory by other means. */
  pull: z
    .strictObject({
      /** Base URL serving index.json (delivery ids) and <id>/delivery.json and files; HTTPS, or HTTP on loopback for tests. */
      url: z
        .url({ protocol: /^https?$/ })
        .refine(isHttpsOrLoopback, 'https://, or http:// on 127.0.0.1, ::1 or localhost only')
        .refine((url) => !new URL(url).username && !new URL(url).password, 'no credentials in the URL: use token_env'),
      /** Name of the environment variable holding the bearer token; the token itself is never in the config or a log. */
      token_env: z
        .string()
        .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)')
        .optional(),
      /** Files downloaded at once. */
      concurrency: z.int().min(1).max(16).default(4),
      /** A request fails when no response, or no further byte of its body, arrives for this long. */
      timeout_seconds: z.number().positive().max(3600).default(60),
      /** Retries of a request after a network error, a timeout or a 5xx, with exponential backoff and jitter. */
      retries: z.int().min(0).max(20).default(5),
    })
    .optional(),
  /**
   * Data-quality audit between staging and publishing (with the balance gate and disclosure control):
   * a run that breaches a threshold is kept as failed_audit and `current` does not move.
   */
  audit: z
    .strictObject({
      /** Per extract: rejected rows / rows read, over every loaded delivery. */
      max_rejected_share: z.number().min(0).max(1).default(0.05),
      /** Overrides of max_rejected_share for named extracts. */
      max_rejected_share_by_extract: z.partialRecord(z.enum(EXTRACT_NAMES), z.number().min(0).max(1)).default({}),
      /** Per extract other than persons: rows in force whose person is in persons / rows in force. */
      min_linkage_rate: z.number().min(0).max(1).default(0.95),
      /** Persons in the study cohort (before matching), in each arm. */
      min_cohort_persons_per_arm: z.int().min(0).default(50),
    })
    .default({ max_rejected_share: 0.05, max_rejected_share_by_extract: {}, min_linkage_rate: 0.95, min_cohort_persons_per_arm: 50 }),
  /**
   * Bounds on what ingest reads, so a hostile or broken delivery is refused while it is read (one line naming the
   * file and the limit), never by the system's OOM killer. Checked on the stream, before DuckDB sees a byte.
   */
  limits: z
    .strictObject({
      /**
       * Absolute cap on a file's bytes after decompression (a .csv.gz counts what it inflates to; Parquet, its own
       * bytes). 64 GiB: ten times a register extract of every Dutch person's employment history. A file is also
       * refused past (row_count + 1) records of max_line_kib (plus a CRLF each): no file can hold more than its
       * stated rows, which stops a gzip bomb within its first MiBs.
       */
      max_file_mib: z
        .int()
        .min(1)
        .max(1 << 24)
        .default(DEFAULT_LIMITS.max_file_mib),
      /**
       * Longest record (line, or lines joined by a quoted newline) accepted, without its line ending. 1 MiB: a
       * register row is under 1 KiB, so a longer record is a quote left open or not this extract. Also DuckDB's
       * read_csv max_line_size (plus 2 for a CRLF), so the reader and this limit agree. At most 16 MiB: DuckDB
       * drops a longer line without a trace in some buffer configurations.
       */
      max_line_kib: z.int().min(1).max(16_384).default(DEFAULT_LIMITS.max_line_kib),
    })
    .default(DEFAULT_LIMITS),
  /** Memory, threads, spill directory and DiD batch size (src/config/resources.ts); no setting changes the output. */
  resources: resourcesSchema,
  /** Published runs kept under runs/ (the one `current` points at always stays), and failed_audit runs kept apart. */
  retention: z
    .strictObject({ keep: z.int().min(1).default(10), keep_failed: z.int().min(0).default(5) })
    .default({ keep: 10, keep_failed: 5 }),
  disclosure: z.strictObject({
    min_cell_persons: z.int().min(1).default(10),
    /** Optional: person counts rounded to a multiple of this after suppression (e.g. 5). */
    round_counts_to: z.int().min(2).max(100).optional(),
    /** Dominance rule for means of money: suppress when the largest `top_persons` contributions exceed `max_share` of the total. */
    dominance: z
      .strictObject({ top_persons: z.int().min(1).max(5).default(2), max_share: z.number().gt(0).lt(1).default(0.85) })
      .default({ top_persons: 2, max_share: 0.85 }),
  }),
});

export type StudyConfig = z.infer<typeof studyConfigSchema>;

export interface LoadedStudyConfig {
  config: StudyConfig;
  file: string;
  sha256: string;
}

export function loadStudyConfig(file: string): LoadedStudyConfig {
  const text = readConfigText(file);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    fail({ code: 'config_invalid', file, problems: `not valid YAML (${firstLine(error)})` });
  }
  return { config: parseStudyConfig(file, raw), file, sha256: createHash('sha256').update(text).digest('hex') };
}

export function parseStudyConfig(file: string, raw: unknown): StudyConfig {
  const result = studyConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`).join('; ');
    fail({ code: 'config_invalid', file, problems });
  }
  const config = result.data;
  if (config.costs.effect.month > config.follow_up.months_after) {
    fail({ code: 'config_invalid', file, problems: `costs.effect.month: ${config.costs.effect.month} is beyond months_after` });
  }
  if (config.estimators.did.reference_month < -config.follow_up.months_before) {
    fail({
      code: 'config_invalid',
      file,
      problems: `estimators.did.reference_month: ${config.estimators.did.reference_month} is before the follow-up's first month (-${config.follow_up.months_before})`,
    });
  }
  const lastReport = Math.max(...config.follow_up.report_months);
  if (lastReport > config.follow_up.months_after) {
    fail({ code: 'config_invalid', file, problems: `follow_up.report_months: ${lastReport} is beyond months_after` });
  }
  return config;
}

/** Settings that run but deserve a second look, printed with the run and kept in its manifest. */
export function configWarnings(config: StudyConfig): string[] {
  const warnings: string[] = [];
  if (config.population.target_groups) {
    warnings.push(
      "population.target_groups filters both arms on the first trajectory's target group, which control trajectories " +
        'seldom record; to select people with mental illness in both arms use population.incapacity_causes',
    );
  }
  return warnings;
}

/** What a path is, following links, for the config_not_regular message. */
function kindOf(stats: Stats): EntryKind {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return stats.isFile() ? 'regular file' : 'unknown';
}

/**
 * The config file's text. A symbolic link to a regular file is followed:
 * admins keep configs under version control and link them into place, and
 * the config is theirs, not a sender's. Anything else that is not a regular
 * file (a directory, FIFO, device or socket) is refused; it is opened with
 * O_NONBLOCK so that a FIFO swapped in after the check cannot hang the read.
 */
function readConfigText(file: string): string {
  let stats: Stats;
  let descriptor: number;
  try {
    stats = statSync(file);
    if (!stats.isFile()) fail({ code: 'config_not_regular', file, found: kindOf(stats) });
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (error instanceof PipelineFailure) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') fail({ code: 'config_not_found', file });
    fail({ code: 'config_invalid', file, problems: `cannot be read (${code ?? 'unknown error'})` });
  }
  try {
    const opened = fstatSync(descriptor);
    if (!opened.isFile()) fail({ code: 'config_not_regular', file, found: kindOf(opened) });
    return readFileSync(descriptor, 'utf8');
  } finally {
    closeSync(descriptor);
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
}
