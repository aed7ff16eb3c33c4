/**
 * `ipslink match`: the matching engine on any CSV table (DESIGN §4).
 *
 * Reads the CSV into DuckDB (every column as text; a column is numeric when
 * every non-empty value casts to DOUBLE, otherwise a string covariate that
 * is dummy-coded), pulls only the columns it uses into typed arrays, fits
 * the propensity score, matches, and has DuckDB write the input columns
 * (their text unchanged) plus `ps`, `weight` and `subclass` in the input
 * row order; then prints the balance table.
 *
 * Row order never matters: rows are first put in a canonical order, sorted
 * by their full content (see `canonicalOrderSql`), and every computation and
 * tie-break runs in that order. Shuffling the input rows permutes the output
 * rows and changes nothing else; identical rows are interchangeable.
 *
 * The output file is written under a temporary name and renamed into place,
 * so a failed run leaves no file.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { Database, quoteIdentifier, quoteLiteral } from '../db/database.js';
import { fail } from '../errors.js';
import { computeBalance, balanceFeatures, SMD_DENOMINATOR, type BalanceRow } from '../match/balance-statistics.js';
import type { CovariateColumn } from '../match/design-matrix.js';
import { matchUnits } from '../match/match-units.js';
import type { TreatedOrder } from '../match/nearest-neighbour.js';

export type MatchMethod = 'nearest' | 'exact';

export interface MatchSettings {
  input: string;
  treatment: string;
  covariates: string[];
  method: MatchMethod;
  /** Exact-matching covariates for nearest-neighbour matching (PS matching within their cells). */
  exact: string[];
  ratio: number;
  /** Caliper in SDs of the logit PS over all units; none when undefined. */
  caliperSd?: number;
  replace: boolean;
  order: TreatedOrder;
}

export interface MatchResult {
  /** Per input row; null for exact matching. */
  ps: Float64Array | null;
  weights: Float64Array;
  /** Per input row, 0 = none; null with replacement. */
  subclass: Int32Array | null;
  /** Nearest neighbour: input row of each treated unit -> input rows of its controls, in round order. */
  matchedControls: Map<number, number[]> | null;
  /** PS model coefficients by design-matrix column name; null for exact matching. */
  coefficients: Map<string, number> | null;
  caliperLogit: number | null;
  balance: BalanceRow[];
  counts: { treated: number; control: number; matchedTreated: number; matchedControls: number };
}

const OUTPUT_COLUMNS = ['ps', 'weight', 'subclass'];

interface UsedColumn {
  isNumeric: boolean;
  /** File order: the text of each cell, null = empty. */
  text: (string | null)[];
  /** File order: each cell cast to DOUBLE, null where empty or not a number. */
  numbers: (number | null)[];
}

interface LoadedTable {
  rowCount: number;
  /** The treatment, covariate and exact columns. */
  columns: Map<string, UsedColumn>;
  /** Per file row: its position in the canonical order. */
  canonicalPosition: Int32Array;
}

/**
 * The canonical row order sorts rows by their full content, columns left to
 * right: numeric columns by value, others by text (UTF-8 byte order), empty
 * first; rows still equal (1 vs 1.0) by the text of their numeric columns.
 * Only identical rows tie, and those keep their file order, so a rerun on
 * the same file gives the same bytes and a shuffled file the same rows.
 */
function canonicalOrderSql(columnNames: readonly string[], isNumeric: readonly boolean[]): string {
  const byValue = columnNames.map((name, index) =>
    isNumeric[index] ? `try_cast(${quoteIdentifier(name)} as double) nulls first` : `${quoteIdentifier(name)} nulls first`,
  );
  const byText = columnNames.filter((_, index) => isNumeric[index]).map((name) => `${quoteIdentifier(name)} nulls first`);
  return `row_number() over (order by ${[...byValue, ...byText, 'rowid'].join(', ')}) - 1`;
}

/** Loads the CSV into the table match_input and pulls the used columns and the canonical order. */
async function loadCsv(db: Database, settings: MatchSettings): Promise<LoadedTable> {
  await db.run(
    `match: read ${basename(settings.input)}`,
    `create table match_input as select * from read_csv(${quoteLiteral(settings.input)}, header = true, all_varchar = true)`,
  );
  const header = await db.query<{ column_name: string }>(
    'match: columns',
    "select column_name from information_schema.columns where table_name = 'match_input' order by ordinal_position",
  );
  const columnNames = header.map((column) => column.column_name);
  validateSettings(settings, columnNames);
  const [nonNumeric] = await db.query<Record<string, number>>(
    'match: column types',
    `select ${columnNames
      .map((name, index) => `count(*) filter (where ${quoteIdentifier(name)} is not null and try_cast(${quoteIdentifier(name)} as double) is null)::double as c${index}`)
      .join(', ')} from match_input`,
  );
  const isNumeric = columnNames.map((_, index) => nonNumeric?.[`c${index}`] === 0);
  const used = [...new Set([settings.treatment, ...settings.covariates, ...settings.exact])];
  const selected = [
    ...used.map((name, index) => `${quoteIdentifier(name)} as t${index}, try_cast(${quoteIdentifier(name)} as double) as n${index}`),
    `(${canonicalOrderSql(columnNames, isNumeric)})::integer as canonical_position`,
  ];
  const records = await db.query<Record<string, string | number | null>>('match: rows', `select ${selected.join(', ')} from match_input order by rowid`);
  const columns = new Map(
    used.map((name, index): [string, UsedColumn] => [
      name,
      {
        isNumeric: isNumeric[columnNames.indexOf(name)]!,
        text: records.map((record) => record[`t${index}`] as string | null),
        numbers: records.map((record) => record[`n${index}`] as number | null),
      },
    ]),
  );
  return { rowCount: records.length, columns, canonicalPosition: Int32Array.from(records, (record) => record.canonical_position as number) };
}

function validateSettings(settings: MatchSettings, columnNames: readonly string[]): void {
  const used = [settings.treatment, ...settings.covariates, ...settings.exact];
  const missing = [...new Set(used.filter((name) => !columnNames.includes(name)))];
  if (missing.length) fail({ code: 'match_columns_missing', file: settings.input, columns: missing });
  const clashing = OUTPUT_COLUMNS.filter((name) => columnNames.includes(name));
  if (clashing.length) fail({ code: 'usage', message: `${settings.input}: already has column(s) ${clashing.join(', ')}, which match writes; rename them` });
}

/**
 * Matches the rows of settings.input; with `outputPath`, also writes the
 * matched CSV there (temp file + rename).
 */
export async function runMatching(settings: MatchSettings, outputPath?: string): Promise<MatchResult> {
  if (!existsSync(settings.input)) fail({ code: 'usage', message: `--input ${settings.input}: no such file` });
  const db = await Database.open(':memory:');
  try {
    const result = matchLoadedTable(settings, await loadCsv(db, settings));
    if (outputPath !== undefined) await writeMatchedCsv(db, outputPath, result);
    return result;
  } finally {
    db.close();
  }
}

function matchLoadedTable(settings: MatchSettings, table: LoadedTable): MatchResult {
  const unitCount = table.rowCount;
  /** canonical[unit] = the file row of the unit at that canonical position */
  const canonical = new Int32Array(unitCount);
  table.canonicalPosition.forEach((position, row) => (canonical[position] = row));

  for (const [name, column] of table.columns) {
    const count = column.text.filter((text, row) => text === null || (column.isNumeric && !Number.isFinite(column.numbers[row]))).length;
    if (count > 0) fail({ code: 'match_missing_values', file: settings.input, column: name, count });
  }
  const treatment = table.columns.get(settings.treatment)!.numbers;
  const notBinary = treatment.filter((value) => value !== 0 && value !== 1).length;
  if (notBinary > 0) fail({ code: 'match_treatment_not_binary', file: settings.input, column: settings.treatment, count: notBinary });

  const treated = Uint8Array.from(canonical, (row) => treatment[row]!);
  const treatedCount = treated.reduce((sum, value) => sum + value, 0);
  if (treatedCount === 0 || treatedCount === unitCount) {
    fail({ code: 'match_empty_arm', file: settings.input, column: settings.treatment, arm: treatedCount === 0 ? 'treated' : 'control' });
  }
  const covariateColumn = (name: string): CovariateColumn => {
    const column = table.columns.get(name)!;
    return column.isNumeric
      ? { name, kind: 'numeric', values: Float64Array.from(canonical, (row) => column.numbers[row]!) }
      : { name, kind: 'categorical', values: Array.from(canonical, (row) => column.text[row]!) };
  };
  const covariates = settings.covariates.map(covariateColumn);

  const matching = matchUnits(treated, {
    method: settings.method,
    exactCovariates: settings.method === 'exact' ? covariates : settings.exact.map(covariateColumn),
    psCovariates: covariates,
    ratio: settings.ratio,
    caliperSd: settings.caliperSd,
    replace: settings.replace,
    order: settings.order,
  });
  const { weights, subclass, ps, coefficients, caliperLogit } = matching;
  let matchedControls: Map<number, number[]> | null = null;
  if (matching.pairs) {
    const { treatedUnits, matchMatrix } = matching.pairs;
    matchedControls = new Map();
    treatedUnits.forEach((unit, row) => {
      const controls = [...matchMatrix.subarray(row * settings.ratio, (row + 1) * settings.ratio)].filter((control) => control >= 0);
      if (controls.length) matchedControls!.set(canonical[unit]!, controls.map((control) => canonical[control]!));
    });
  }

  let matchedTreated = 0;
  let matchedControlCount = 0;
  weights.forEach((weight, unit) => {
    if (weight > 0 && treated[unit]) matchedTreated++;
    else if (weight > 0) matchedControlCount++;
  });
  if (matchedTreated === 0) {
    fail({
      code: 'match_none',
      method: settings.method,
      reason: settings.method === 'exact' ? 'no cell of the covariates holds both arms' : 'no control within the caliper or exact cell of any treated unit',
    });
  }

  const extraExact = settings.exact.filter((name) => !settings.covariates.includes(name)).map(covariateColumn);
  const balance = computeBalance(balanceFeatures([...covariates, ...extraExact]), treated, weights);

  const toInputOrder = <T extends Float64Array | Int32Array>(values: T, make: (length: number) => T): T => {
    const inInputOrder = make(unitCount);
    canonical.forEach((row, unit) => (inInputOrder[row] = values[unit]!));
    return inInputOrder;
  };
  return {
    ps: ps && toInputOrder(ps, (length) => new Float64Array(length)),
    weights: toInputOrder(weights, (length) => new Float64Array(length)),
    subclass: subclass && toInputOrder(subclass, (length) => new Int32Array(length)),
    matchedControls,
    coefficients,
    caliperLogit,
    balance,
    counts: { treated: treatedCount, control: unitCount - treatedCount, matchedTreated, matchedControls: matchedControlCount },
  };
}

/**
 * Writes match_input's columns plus ps, weight, subclass in file order, via
 * DuckDB's CSV writer (input text unchanged, doubles in shortest round-trip
 * form), to a temporary name renamed into place: never half a file. The
 * results reach DuckDB as a scratch CSV (shortest round-trip numbers parse
 * back exactly), which is far cheaper than binding 100k-element lists.
 */
async function writeMatchedCsv(db: Database, path: string, result: MatchResult): Promise<void> {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const scratch = `${temporary}.results.csv`;
  const lines = Array.from(result.weights, (weight, row) => {
    const subclass = result.subclass?.[row];
    return `${row},${result.ps ? String(result.ps[row]) : ''},${String(weight)},${subclass ? String(subclass) : ''}`;
  });
  try {
    writeFileSync(scratch, `${lines.join('\n')}\n`);
    await db.run(
      'match: write output',
      `copy (
         select match_input.*, match_result.ps, match_result.weight, match_result.subclass
         from match_input
         join read_csv(${quoteLiteral(scratch)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"',
             columns = {'file_row': 'BIGINT', 'ps': 'DOUBLE', 'weight': 'DOUBLE', 'subclass': 'INTEGER'}) as match_result
           on match_input.rowid = match_result.file_row
         order by match_input.rowid
       ) to ${quoteLiteral(temporary)} (format csv, header true, delimiter ',')`,
    );
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    rmSync(scratch, { force: true });
  }
}

function formatNumber(value: number | null): string {
  if (value === null) return '-';
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(4);
}

export function formatBalanceTable(balance: readonly BalanceRow[]): string {
  const header = [
    'covariate', 'level',
    'mean_treated_before', 'mean_control_before', 'smd_before', 'var_ratio_before', 'ecdf_max_before',
    'mean_treated_after', 'mean_control_after', 'smd_after', 'var_ratio_after', 'ecdf_max_after',
  ];
  const body = balance.map((row) => [
    row.covariate,
    row.level ?? '',
    ...[row.before, row.after].flatMap((arms) => [arms.meanTreated, arms.meanControl, arms.smd, arms.varianceRatio, arms.ecdfMax].map(formatNumber)),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}

function describeMatching(settings: MatchSettings, result: MatchResult): string {
  const { counts } = result;
  const method =
    settings.method === 'exact'
      ? `exact matching on ${settings.covariates.join(', ')}`
      : `nearest-neighbour 1:${settings.ratio} on the logit PS, ${settings.replace ? 'with' : 'without'} replacement, order ${settings.order}` +
        (result.caliperLogit === null ? '' : `, caliper ${settings.caliperSd} SD = ${result.caliperLogit.toFixed(6)} logit`) +
        (settings.exact.length ? `, exact on ${settings.exact.join(', ')}` : '');
  return `${method}: matched ${counts.matchedTreated} of ${counts.treated} treated and ${counts.matchedControls} of ${counts.control} controls`;
}

function largestSmdAfter(balance: readonly BalanceRow[]): string {
  let largest: BalanceRow | undefined;
  for (const row of balance) {
    if (row.after.smd !== null && (!largest || Math.abs(row.after.smd) > Math.abs(largest.after.smd!))) largest = row;
  }
  if (!largest) return 'max |SMD| after matching: -';
  const name = largest.level === null ? largest.covariate : `${largest.covariate}=${largest.level}`;
  return `max |SMD| after matching: ${Math.abs(largest.after.smd!).toFixed(4)} (${name})`;
}

interface MatchArgs {
  input: string;
  treatment: string;
  covariates: string;
  method: MatchMethod;
  exact?: string;
  ratio?: number;
  caliper?: number;
  replace?: boolean;
  order?: TreatedOrder;
  out: string;
}

function columnList(option: string, value: string): string[] {
  const names = value.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) fail({ code: 'usage', message: `--${option} must be a comma-separated list of column names, got "${value}"` });
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length) fail({ code: 'usage', message: `--${option} names ${repeated[0]} twice` });
  return names;
}

export function settingsFromArgs(args: MatchArgs): MatchSettings {
  const covariates = columnList('covariates', args.covariates);
  const exact = args.exact === undefined ? [] : columnList('exact', args.exact);
  if (covariates.includes(args.treatment) || exact.includes(args.treatment)) {
    fail({ code: 'usage', message: `--treatment ${args.treatment} cannot also be a covariate` });
  }
  if (args.method === 'exact') {
    const nearestOnly = (['exact', 'ratio', 'caliper', 'replace', 'order'] as const).filter((option) => args[option] !== undefined);
    if (nearestOnly.length) {
      fail({ code: 'usage', message: `--${nearestOnly.join(', --')} only apply to --method nearest; --method exact matches on the --covariates` });
    }
  }
  const ratio = args.ratio ?? 1;
  if (!Number.isInteger(ratio) || ratio < 1) fail({ code: 'usage', message: `--ratio must be a whole number of at least 1, got ${ratio}` });
  if (args.caliper !== undefined && !(args.caliper > 0 && Number.isFinite(args.caliper))) {
    fail({ code: 'usage', message: `--caliper must be a positive number of SDs of the logit PS, got ${args.caliper}` });
  }
  return {
    input: args.input,
    treatment: args.treatment,
    covariates,
    method: args.method,
    exact,
    ratio,
    caliperSd: args.caliper,
    replace: args.replace ?? false,
    order: args.order ?? 'largest',
  };
}

export const matchCommand: CommandModule<object, MatchArgs> = {
  command: 'match',
  describe: 'match treated and control rows of a CSV (propensity-score nearest neighbour or exact) and print the balance table',
  builder: (yargs) =>
    yargs.options({
      input: { type: 'string', demandOption: true, describe: 'CSV file with a header row' },
      treatment: { type: 'string', demandOption: true, describe: 'treatment column: 1 = treated, 0 = control' },
      covariates: { type: 'string', demandOption: true, describe: 'comma-separated covariates of the PS model (exact: the matching variables); string columns are dummy-coded' },
      method: { choices: ['nearest', 'exact'] as const, default: 'nearest' as const, describe: 'nearest neighbour on the logit PS, or exact strata' },
      exact: { type: 'string', describe: 'comma-separated columns to match exactly on, PS matching within their cells (nearest only)' },
      ratio: { type: 'number', describe: 'controls per treated unit (1:k); default 1' },
      caliper: { type: 'number', describe: 'caliper in SDs of the logit PS over all units (as MatchIt)' },
      replace: { type: 'boolean', describe: 'match with replacement' },
      order: { choices: ['largest', 'smallest', 'data'] as const, describe: 'order treated units choose controls: PS largest first (default), smallest first, or canonical row order' },
      out: { type: 'string', demandOption: true, describe: 'output CSV: the input columns plus ps, weight, subclass' },
    }),
  handler: async (args) => {
    const settings = settingsFromArgs(args);
    const result = await runMatching(settings, args.out);
    process.stdout.write(
      `${describeMatching(settings, result)}\n\n${formatBalanceTable(result.balance)}\n\n${SMD_DENOMINATOR}\n${largestSmdAfter(result.balance)}\n` +
        `wrote ${result.weights.length} rows to ${args.out}\n`,
    );
  },
};
