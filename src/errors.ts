/**
 * Pipeline errors: a closed set of codes, each with a message for people.
 *
 * Stages throw `PipelineFailure`; only `src/cli/` catches it, prints
 * `messageFor(error)` on one line and exits with `exitCodes[error.code]`.
 * Messages name files, rules and counts, never a value from a data row.
 */
export type PipelineError =
  | { code: 'usage'; message: string }
  | { code: 'config_invalid'; file: string; problems: string }
  | { code: 'config_not_found'; file: string }
  | { code: 'delivery_not_found'; landing: string; delivery: string }
  | { code: 'delivery_manifest_invalid'; delivery: string; problems: string }
  | { code: 'delivery_file_missing'; delivery: string; file: string }
  | { code: 'delivery_file_unlisted'; delivery: string; file: string }
  | { code: 'checksum_mismatch'; delivery: string; file: string; expected: string; actual: string }
  | { code: 'row_count_mismatch'; delivery: string; file: string; expected: number; actual: number }
  | { code: 'header_invalid'; delivery: string; file: string; missing: string[]; unknown: string[] }
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
  | { code: 'ps_not_converged'; iterations: number; deviance: number };

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

export function messageFor(error: PipelineError): string {
  switch (error.code) {
    case 'usage':
      return error.message;
    case 'config_invalid':
      return `${error.file}: invalid study config: ${error.problems}`;
    case 'config_not_found':
      return `${error.file}: study config not found`;
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
        `${error.delivery}/${error.file}: header does not match the contract` +
        (error.missing.length ? `; missing column(s) ${error.missing.join(', ')}` : '') +
        (error.unknown.length ? `; unknown column(s) ${error.unknown.join(', ')}` : '')
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
    default:
      return assertNever(error);
  }
}

export const exitCodes: Record<PipelineError['code'], number> = {
  usage: 2,
  config_invalid: 3,
  config_not_found: 3,
  delivery_not_found: 4,
  delivery_manifest_invalid: 4,
  delivery_file_missing: 4,
  delivery_file_unlisted: 4,
  checksum_mismatch: 4,
  row_count_mismatch: 4,
  header_invalid: 4,
  delivery_changed: 4,
  full_file_outdated: 4,
  warehouse_outdated: 4,
  sql_parameters: 70,
  sql_failed: 70,
  stage_contract: 70,
  warehouse_locked: 75,
  empty_arm: 5,
  did_not_identified: 5,
  price_index_missing: 5,
  run_not_found: 2,
  output_exists: 2,
  match_columns_missing: 2,
  match_missing_values: 2,
  match_treatment_not_binary: 2,
  match_empty_arm: 2,
  match_none: 6,
  ps_rank_deficient: 6,
  ps_separation: 6,
  ps_not_converged: 6,
};

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
