/**
 * Pipeline errors: a closed set of codes, each with a message for people.
 *
 * Stages throw `PipelineFailure`; only `src/cli/` catches it, prints
 * `messageFor(error)` on one line and exits with `exitCodeFor(error)`.
 * Messages name files, rules and counts, never a value from a data row.
 * Every file, delivery and directory name goes through `printableName`
 * (names come from a directory listing a sender controls), and the message
 * as a whole has its control characters escaped, so it stays one line.
 */
import { EXIT_CODES, type ExitCodeName } from './exit-codes.js';

export type PipelineError =
  | { code: 'usage'; message: string }
  | { code: 'config_invalid'; file: string; problems: string }
  | { code: 'config_not_found'; file: string }
  | { code: 'config_not_regular'; file: string; found: EntryKind }
  | { code: 'delivery_not_found'; landing: string; delivery: string }
  | { code: 'delivery_manifest_invalid'; delivery: string; problems: string }
  | { code: 'delivery_file_missing'; delivery: string; file: string }
  | { code: 'delivery_file_unlisted'; delivery: string; file: string }
  | { code: 'checksum_mismatch'; delivery: string; file: string; expected: string; actual: string }
  | { code: 'row_count_mismatch'; delivery: string; file: string; expected: number; actual: number }
  | {
      code: 'header_invalid';
      delivery: string;
      file: string;
      /** Contract columns (our names, safe to print). */
      missing: string[];
      duplicated: string[];
      /** Fields that are no contract column: never their text (the first line may be a data row), only where and a hash. */
      unknown: UnknownHeaderField[];
      isUtf8: boolean;
    }
  | { code: 'delivery_entry_not_regular'; delivery: string; file: string | null; found: EntryKind }
  | { code: 'delivery_file_outside'; delivery: string; file: string }
  | { code: 'delivery_file_replaced'; delivery: string; file: string }
  | { code: 'file_unreadable'; delivery: string; file: string; reason: string }
  | {
      code: 'file_too_large';
      delivery: string;
      file: string;
      limitBytes: number;
      /** Which cap: limits.max_file_mib, or (row_count + 1) records of limits.max_line_kib. */
      basis: { limit: 'max_file_mib'; maxFileMib: number } | { limit: 'stated_rows'; rowCount: number; maxLineKib: number };
    }
  | { code: 'line_too_long'; delivery: string; file: string; record: number; maxLineKib: number }
  | { code: 'row_count_exceeded'; delivery: string; file: string; expected: number }
  | { code: 'record_count_mismatch'; delivery: string; file: string; counted: number; parsed: number; malformed: number }
  | { code: 'ingest_memory_exceeded'; delivery: string; file: string; memoryLimit: string }
  | { code: 'delivery_changed'; delivery: string; file: string }
  | { code: 'full_file_outdated'; delivery: string; file: string; newer: string; newerDate: string }
  | { code: 'warehouse_outdated'; path: string; found: number; expected: number }
  | { code: 'sql_parameters'; file: string; missing: string[]; unexpected: string[] }
  | { code: 'sql_failed'; file: string; detail: string }
  | { code: 'stage_contract'; stage: string; tables: string[] }
  | { code: 'warehouse_locked'; path: string }
  | { code: 'empty_arm'; arm: string; step: string }
  | { code: 'did_not_identified'; reason: string }
  | { code: 'price_index_missing'; years: number[]; from: number; to: number }
  | { code: 'run_not_found'; dir: string }
  | { code: 'output_exists'; path: string }
  | { code: 'match_columns_missing'; file: string; columns: string[] }
  | { code: 'match_missing_values'; file: string; column: string; count: number }
  | { code: 'match_treatment_not_binary'; file: string; column: string; count: number }
  | { code: 'match_empty_arm'; file: string; column: string; arm: 'treated' | 'control' }
  | { code: 'match_none'; method: string; reason: string }
  | { code: 'ps_rank_deficient'; column: string; combination: string[] }
  | { code: 'ps_separation'; column: string; units: number }
  | { code: 'ps_not_converged'; iterations: number; deviance: number }
  | { code: 'pull_token_missing'; variable: string }
  | { code: 'pull_source_unavailable'; source: string; detail: string }
  | { code: 'pull_delivery_refused'; delivery: string; file: string; reason: string }
  | { code: 'deliveries_refused'; refused: number; total: number }
  | { code: 'data_quality_breach'; runId: string; breaches: string[] }
  | { code: 'balance_gate_failed'; runId: string; maxAbsSmd: number; threshold: number }
  | { code: 'disclosure_audit_failed'; runId: string; problems: string[] }
  | { code: 'no_op_after_failed_audit'; runId: string; exitAs: 'data_quality_breach' | 'balance_gate_failed' | 'disclosure_audit_failed' }
  | { code: 'output_path_unsafe'; path: string; found: string; expected: string };

/** What a path turned out to be, from lstat (links are not followed). */
export type EntryKind =
  | 'regular file'
  | 'directory'
  | 'symbolic link'
  | 'FIFO'
  | 'socket'
  | 'character device'
  | 'block device'
  | 'unknown';

export interface UnknownHeaderField {
  /** 1-based position in the header line. */
  position: number;
  /** The first hex digits of the field's sha256 (HEADER_FIELD_HASH_DIGITS). */
  sha256: string;
}

export class PipelineFailure extends Error {
  constructor(readonly error: PipelineError) {
    super(messageFor(error));
    this.name = 'PipelineFailure';
  }
}

export function fail(error: PipelineError): never {
  throw new PipelineFailure(error);
}

function short(hex: string): string {
  return `${hex.slice(0, 12)}…`;
}

/**
 * A file, delivery or directory name as it may be printed: backslash, control
 * characters, line and paragraph separators, format characters (bidi
 * overrides, zero-width) and unassigned or private code points become JSON-style
 * \uXXXX escapes (`\\` for a backslash), so a name from a directory listing
 * can neither break a one-line message nor disguise itself.
 */
export function printableName(name: string): string {
  return name.replace(NON_PRINTABLE, escapeCodeUnits);
}

const NON_PRINTABLE = /[\\\p{C}\p{Zl}\p{Zp}]/gu;
/** Control characters and line breaks only: the last guard over a whole message. */
const LINE_BREAKING = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

function escapeCodeUnits(character: string): string {
  if (character === '\\') return '\\\\';
  let escaped = '';
  for (let index = 0; index < character.length; index++) {
    escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
  }
  return escaped;
}

/** Fields that hold a file, delivery or directory name (or a path) in some error. */
const NAME_FIELDS = ['delivery', 'file', 'landing', 'path', 'dir', 'newer', 'source'] as const;

function withPrintableNames(error: PipelineError): PipelineError {
  const escaped: Record<string, unknown> = { ...error };
  for (const field of NAME_FIELDS) {
    const value = escaped[field];
    if (typeof value === 'string') escaped[field] = printableName(value);
  }
  return escaped as unknown as PipelineError;
}

/** The one line printed for an error: names escaped, and no control character anywhere in it. */
export function messageFor(error: PipelineError): string {
  return describe(withPrintableNames(error)).replace(LINE_BREAKING, escapeCodeUnits);
}

/** At most this many unknown header fields are listed by position and hash; the count covers all. */
const UNKNOWN_FIELDS_LISTED = 5;

function describeHeaderProblems(error: Extract<PipelineError, { code: 'header_invalid' }>): string {
  const problems: string[] = [];
  if (!error.isUtf8) problems.push('the first line is not valid UTF-8');
  if (error.missing.length) problems.push(`missing column(s) ${error.missing.join(', ')}`);
  if (error.duplicated.length) problems.push(`column(s) given more than once: ${error.duplicated.join(', ')}`);
  if (error.unknown.length) {
    const listed = error.unknown.slice(0, UNKNOWN_FIELDS_LISTED).map((field) => `${field.position} (sha256 ${field.sha256}…)`);
    const more = error.unknown.length > UNKNOWN_FIELDS_LISTED ? `, and ${error.unknown.length - UNKNOWN_FIELDS_LISTED} more` : '';
    problems.push(`${error.unknown.length} field(s) that are no contract column, at position ${listed.join(', ')}${more}`);
  }
  return problems.join('; ');
}

function describeSizeLimit(error: Extract<PipelineError, { code: 'file_too_large' }>): string {
  const { basis } = error;
  if (basis.limit === 'max_file_mib') return `the cap of limits.max_file_mib (${basis.maxFileMib} MiB)`;
  return (
    `more than its ${basis.rowCount} stated rows can hold ((row_count + 1) records of ` +
    `limits.max_line_kib (${basis.maxLineKib} KiB) plus a CRLF)`
  );
}

function describe(error: PipelineError): string {
  switch (error.code) {
    case 'usage':
      return error.message;
    case 'config_invalid':
      return `${error.file}: invalid study config: ${error.problems}`;
    case 'config_not_found':
      return `${error.file}: study config not found`;
    case 'config_not_regular':
      return `${error.file}: the study config is a ${error.found}, not a regular file; give the path of the YAML file`;
    case 'delivery_not_found':
      return `delivery ${error.delivery} not found in landing directory ${error.landing}`;
    case 'delivery_manifest_invalid':
      return `${error.delivery}/delivery.json is invalid: ${error.problems}`;
    case 'delivery_file_missing':
      return `${error.delivery}/${error.file}: listed in delivery.json but missing; ask for the file to be delivered again`;
    case 'delivery_file_unlisted':
      return `${error.delivery}/${error.file}: extract file not listed in delivery.json; every file must carry a sha256 and row count`;
    case 'checksum_mismatch':
      return (
        `${error.delivery}/${error.file}: sha256 is ${short(error.actual)}, delivery.json says ${short(error.expected)}; ` +
        'the file changed after delivery, ask for a fresh copy'
      );
    case 'row_count_mismatch':
      return (
        `${error.delivery}/${error.file}: read ${error.actual} data rows, delivery.json says ${error.expected}; ` +
        'the file is truncated or the manifest is wrong'
      );
    case 'header_invalid':
      return (
        `${error.delivery}/${error.file}: header does not match the contract: ${describeHeaderProblems(error)}; ` +
        "the first line must name the extract's columns (src/contracts/extracts.ts)"
      );
    case 'delivery_entry_not_regular':
      return error.file === null
        ? `${error.delivery}: a ${error.found} where a delivery directory is expected; a delivery is a plain directory, never a link`
        : `${error.delivery}/${error.file}: a ${error.found} where a regular file is expected; ` +
            'a delivery holds plain files only (no links, devices, FIFOs or directories), ask for the file itself';
    case 'delivery_file_outside':
      return `${error.delivery}/${error.file}: resolves to a path outside its delivery directory; refused`;
    case 'delivery_file_replaced':
      return (
        `${error.delivery}/${error.file}: the file was replaced or changed while the delivery was being read; ` +
        'nothing was loaded from it, run again once the landing directory is quiet'
      );
    case 'file_unreadable':
      return `${error.delivery}/${error.file}: cannot be read: ${error.reason}; ask for a fresh copy`;
    case 'file_too_large':
      return (
        `${error.delivery}/${error.file}: holds more than ${error.limitBytes} bytes after decompression, ${describeSizeLimit(error)}; ` +
        'refused while reading it, nothing was loaded'
      );
    case 'line_too_long':
      return (
        `${error.delivery}/${error.file}: ${error.record === 1 ? 'the first line (the header)' : `record ${error.record} (the header is record 1)`} ` +
        `is longer than limits.max_line_kib (${error.maxLineKib} KiB); a quote left open joins lines, or the file is not this extract`
      );
    case 'row_count_exceeded':
      return (
        `${error.delivery}/${error.file}: holds more than the ${error.expected} data rows delivery.json states; ` +
        'refused while reading it, nothing was loaded; the file is not the one described or the manifest is wrong'
      );
    case 'record_count_mismatch':
      return (
        `${error.delivery}/${error.file}: counted ${error.counted} data records, the CSV reader read ` +
        `${error.parsed + error.malformed} (${error.parsed} parsed + ${error.malformed} malformed); rows would be lost without trace, refused`
      );
    case 'ingest_memory_exceeded':
      return (
        `${error.delivery}/${error.file}: loading it needs more memory than DuckDB has (${error.memoryLimit}, its share of resources.memory_limit); ` +
        'nothing of the delivery was loaded, raise resources.memory_limit if the machine has the memory'
      );
    case 'delivery_changed':
      return (
        `${error.delivery}/${error.file}: already ingested with a different sha256; ` +
        'a delivery is immutable, deliver corrected data under a new delivery id'
      );
    case 'full_file_outdated':
      return (
        `${error.delivery}/${error.file}: a full file replaces every row of its extract, but rows of the newer delivery ` +
        `${error.newer} (extract date ${error.newerDate}) are in force; deliver the full file with a newer extract date`
      );
    case 'warehouse_outdated':
      return (
        `${error.path}: the warehouse has schema version ${error.found}, this ipslink needs ${error.expected}; ` +
        'move the warehouse aside and run again: every delivery in the landing directory is loaded anew'
      );
    case 'sql_parameters':
      return (
        `${error.file}:` +
        (error.missing.length ? ` missing ${error.missing.map((p) => `$${p}`).join(', ')}` : '') +
        (error.missing.length && error.unexpected.length ? ';' : '') +
        (error.unexpected.length ? ` unexpected ${error.unexpected.map((p) => `$${p}`).join(', ')}` : '')
      );
    case 'sql_failed':
      return `${error.file}: ${error.detail}`;
    case 'stage_contract':
      return `stage ${error.stage} touched tables it does not declare (writes, views or scratch in its Stage): ${error.tables.join(', ')}`;
    case 'warehouse_locked':
      return `${error.path}: the warehouse is in use by another ipslink process; wait for it to finish`;
    case 'did_not_identified':
      return `event-study DiD cannot be estimated: ${error.reason}`;
    case 'price_index_missing':
      return (
        `costs: no consumer price index for ${error.years.join(', ')} (the table covers ${error.from}-${error.to}); ` +
        'extend src/costs/consumer-price-index.ts from CBS StatLine 83131NED'
      );
    case 'empty_arm':
      return `no ${error.arm} persons left after ${error.step}; check the population rules and the deliveries`;
    case 'run_not_found':
      return `${error.dir}: not a published ipslink run (no manifest.json)`;
    case 'output_exists':
      return `${error.path}: already exists; choose another --out or remove it first`;
    case 'match_columns_missing':
      return `${error.file}: no column(s) ${error.columns.join(', ')}; check the header and the column names given`;
    case 'match_missing_values':
      return `${error.file}: column ${error.column} has ${error.count} missing or non-finite value(s); fill or drop those rows first`;
    case 'match_treatment_not_binary':
      return `${error.file}: treatment column ${error.column} has ${error.count} value(s) other than 0 and 1; code the treated as 1 and the controls as 0`;
    case 'match_empty_arm':
      return `${error.file}: no ${error.arm} rows (${error.column} = ${error.arm === 'treated' ? 1 : 0}); matching needs both arms`;
    case 'match_none':
      return `${error.method} matching matched no treated unit: ${error.reason}`;
    case 'ps_rank_deficient':
      return (
        `propensity-score model is rank deficient: column ${error.column} is a linear combination of ` +
        `${error.combination.length ? error.combination.join(', ') : 'the other columns'}; drop it or merge levels`
      );
    case 'ps_separation':
      return (
        `propensity-score model shows (quasi-)complete separation: column ${error.column} drives the fitted PS of ` +
        `${error.units} unit(s) to 0 or 1; drop or coarsen it, or match exactly on it (--exact)`
      );
    case 'ps_not_converged':
      return (
        `propensity-score model did not converge in ${error.iterations} iterations (deviance ${error.deviance.toPrecision(8)}); ` +
        'rescale or simplify the covariates'
      );
    case 'pull_token_missing':
      return `pull: the config's token_env names ${error.variable}, which is not set; export it with the source's bearer token`;
    case 'pull_source_unavailable':
      return `pull: ${error.source}: ${error.detail}; nothing partial was kept, rerun later`;
    case 'pull_delivery_refused':
      return `pull: ${error.delivery}/${error.file}: ${error.reason}; the delivery was not placed in the landing directory`;
    case 'deliveries_refused':
      return `validate: ${error.refused} of ${error.total} deliveries refused, each named on its own line above; the others were loaded and are reported`;
    case 'data_quality_breach':
      return `run ${error.runId} failed its data-quality audit and was not published: ${error.breaches.join('; ')}`;
    case 'balance_gate_failed':
      return (
        `run ${error.runId} failed the balance gate and was not published: max |SMD| after matching ${error.maxAbsSmd.toFixed(3)} ` +
        `> ${error.threshold} (matching.balance_max_abs_smd); see its export/balance.parquet`
      );
    case 'disclosure_audit_failed':
      return `run ${error.runId} failed its disclosure audit and was not published: ${error.problems.join('; ')}`;
    case 'no_op_after_failed_audit':
      return `nothing new since run ${error.runId}, which failed its audit; fix the delivery or the config, or rerun with --force`;
    case 'output_path_unsafe':
      return (
        `${error.path} is ${error.found}, not ${error.expected}; ipslink writes person-level data only to real files ` +
        'and directories in its output directory and wrote nothing; move it aside or choose another output directory'
      );
    default:
      return assertNever(error);
  }
}

const EXIT_CODE_OF: Record<PipelineError['code'], ExitCodeName> = {
  usage: 'usage',
  config_invalid: 'config',
  config_not_found: 'config',
  config_not_regular: 'config',
  delivery_not_found: 'delivery_refused',
  delivery_manifest_invalid: 'delivery_refused',
  delivery_file_missing: 'delivery_refused',
  delivery_file_unlisted: 'delivery_refused',
  checksum_mismatch: 'delivery_refused',
  row_count_mismatch: 'delivery_refused',
  header_invalid: 'delivery_refused',
  delivery_entry_not_regular: 'delivery_refused',
  delivery_file_outside: 'delivery_refused',
  delivery_file_replaced: 'delivery_refused',
  file_unreadable: 'delivery_refused',
  file_too_large: 'delivery_refused',
  line_too_long: 'delivery_refused',
  row_count_exceeded: 'delivery_refused',
  record_count_mismatch: 'delivery_refused',
  ingest_memory_exceeded: 'delivery_refused',
  delivery_changed: 'delivery_refused',
  full_file_outdated: 'delivery_refused',
  warehouse_outdated: 'delivery_refused',
  sql_parameters: 'internal',
  sql_failed: 'internal',
  stage_contract: 'internal',
  warehouse_locked: 'locked',
  empty_arm: 'not_estimable',
  did_not_identified: 'not_estimable',
  price_index_missing: 'not_estimable',
  run_not_found: 'usage',
  output_exists: 'usage',
  match_columns_missing: 'usage',
  match_missing_values: 'usage',
  match_treatment_not_binary: 'usage',
  match_empty_arm: 'usage',
  match_none: 'matching_failed',
  ps_rank_deficient: 'matching_failed',
  ps_separation: 'matching_failed',
  ps_not_converged: 'matching_failed',
  pull_token_missing: 'config',
  pull_source_unavailable: 'source_unavailable',
  pull_delivery_refused: 'delivery_refused',
  deliveries_refused: 'delivery_refused',
  data_quality_breach: 'data_quality',
  balance_gate_failed: 'balance_gate',
  disclosure_audit_failed: 'internal',
  no_op_after_failed_audit: 'data_quality',
  output_path_unsafe: 'usage',
};

/** The process exit code of each error (src/exit-codes.ts holds the table). */
export function exitCodeFor(error: PipelineError): number {
  if (error.code === 'no_op_after_failed_audit') return EXIT_CODES[EXIT_CODE_OF[error.exitAs]].code;
  return EXIT_CODES[EXIT_CODE_OF[error.code]].code;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
