/**
 * A CSV file as the matching engine's input, and back: the file side of
 * `ipslink match`.
 *
 * The CSV is read into DuckDB (table csv_input) with every column as text.
 * A column is numeric when every non-empty value casts to DOUBLE, otherwise
 * it is a string covariate (dummy-coded by the engine). Only the columns
 * asked for cross into JS.
 *
 * Rows are put in a canonical order, sorted by their full content (see
 * `canonicalOrderBy`); the engine's units are the rows in that order, so
 * shuffling the file's rows permutes the output rows and changes nothing
 * else; identical rows are interchangeable. `writeCsvWithColumns` writes the
 * file back, its text unchanged and in file order, with the engine's
 * per-unit results as added columns, under a temporary name renamed into
 * place, so a failed run leaves no file.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type Database, quoteIdentifier, quoteLiteral } from '../db/database.js';
import { fail } from '../errors.js';
import type { CovariateColumn } from './design-matrix.js';
import type { MatchInput } from './engine.js';

const TABLE = 'csv_input';

export interface CsvColumn {
  isNumeric: boolean;
  /** String columns only, per unit (canonical order): the text of the cell, null = empty. */
  text: (string | null)[] | null;
  /** Per unit (canonical order): the cell cast to DOUBLE, NaN where empty or not a number. */
  numbers: Float64Array;
}

export interface CsvTable {
  file: string;
  /** Every column of the file, in file order. */
  columnNames: string[];
  rowCount: number;
  /** Per unit (canonical position): its row in the file, 0-based. */
  fileRows: Int32Array;
  /** The columns asked for. */
  columns: Map<string, CsvColumn>;
}

/**
 * The canonical row order sorts rows by their full content, columns left to
 * right: numeric columns by value, others by text (UTF-8 byte order), empty
 * first; rows still equal (1 vs 1.0) by the text of their numeric columns.
 * Only identical rows tie, and those keep their file order, so a rerun on
 * the same file gives the same bytes and a shuffled file the same rows.
 */
function canonicalOrderBy(columnNames: readonly string[], isNumeric: readonly boolean[]): string {
  const byValue = columnNames.map((name, index) =>
    isNumeric[index] ? `try_cast(${quoteIdentifier(name)} as double) nulls first` : `${quoteIdentifier(name)} nulls first`,
  );
  const byText = columnNames.filter((_, index) => isNumeric[index]).map((name) => `${quoteIdentifier(name)} nulls first`);
  return [...byValue, ...byText, 'rowid'].join(', ');
}

/**
 * Reads `file` into the table csv_input and pulls the named columns, in
 * canonical order. A name the header lacks is `match_columns_missing`.
 */
export async function readCsvTable(db: Database, file: string, names: readonly string[]): Promise<CsvTable> {
  await db.run(
    `match: read ${basename(file)}`,
    `create table ${TABLE} as select * from read_csv(${quoteLiteral(file)}, header = true, all_varchar = true)`,
  );
  const header = await db.query<{ column_name: string }>(
    'match: columns',
    `select column_name from information_schema.columns where table_name = '${TABLE}' order by ordinal_position`,
  );
  const columnNames = header.map((column) => column.column_name);
  const missing = [...new Set(names.filter((name) => !columnNames.includes(name)))];
  if (missing.length) fail({ code: 'match_columns_missing', file, columns: missing });

  const [nonNumeric] = await db.query<Record<string, number>>(
    'match: column types',
    `select ${columnNames
      .map(
        (name, index) =>
          `count(*) filter (where ${quoteIdentifier(name)} is not null and try_cast(${quoteIdentifier(name)} as double) is null)::double as c${index}`,
      )
      .join(', ')} from ${TABLE}`,
  );
  const isNumeric = columnNames.map((_, index) => nonNumeric?.[`c${index}`] === 0);
  const used = [...new Set(names)];
  const selected = [
    ...used.flatMap((name, index) => [
      `try_cast(${quoteIdentifier(name)} as double) as n${index}`,
      // a numeric column's text is not needed: empty is NaN in its numbers
      ...(isNumeric[columnNames.indexOf(name)] ? [] : [`${quoteIdentifier(name)} as t${index}`]),
    ]),
    'rowid::integer as file_row',
  ];
  // column by column: a million rows as row objects took most of this command's time in conversion and GC
  const read = await db.readColumns(
    'match: rows',
    `select ${selected.join(', ')} from ${TABLE} order by ${canonicalOrderBy(columnNames, isNumeric)}`,
  );
  const fileRows = read.file_row as Float64Array;
  const columns = new Map(
    used.map((name, index): [string, CsvColumn] => [
      name,
      {
        isNumeric: isNumeric[columnNames.indexOf(name)]!,
        text: (read[`t${index}`] as (string | null)[] | undefined) ?? null,
        numbers: read[`n${index}`] as Float64Array,
      },
    ]),
  );
  return { file, columnNames, rowCount: fileRows.length, fileRows: Int32Array.from(fileRows), columns };
}

/**
 * The engine's input from a CSV table: `treatment` coded 0/1 and the other
 * columns read as covariates, numeric columns as numbers and the others as
 * strings. Every column read must be complete (`match_missing_values`,
 * checked in the order they were asked for), and the treatment 0/1
 * (`match_treatment_not_binary`).
 */
export function csvMatchInput(table: CsvTable, treatment: string): MatchInput {
  for (const [name, column] of table.columns) {
    const count = column.text
      ? column.text.filter((text) => text === null).length
      : column.numbers.filter((number) => !Number.isFinite(number)).length;
    if (count > 0) fail({ code: 'match_missing_values', file: table.file, column: name, count });
  }
  const treatmentValues = table.columns.get(treatment)!.numbers;
  const notBinary = treatmentValues.filter((value) => value !== 0 && value !== 1).length;
  if (notBinary > 0) fail({ code: 'match_treatment_not_binary', file: table.file, column: treatment, count: notBinary });

  const covariates = new Map<string, CovariateColumn>();
  const covariate = (name: string): CovariateColumn => {
    const column = table.columns.get(name);
    if (!column) throw new Error(`${table.file}: column ${name} was not read`);
    return column.isNumeric
      ? { name, kind: 'numeric', values: column.numbers }
      : { name, kind: 'categorical', values: column.text as string[] };
  };
  return {
    treated: Uint8Array.from(treatmentValues),
    covariate: (name) => covariates.get(name) ?? covariates.set(name, covariate(name)).get(name)!,
  };
}

/** A column to add to the CSV: a DuckDB type and one value per unit (canonical order), null = empty. */
export interface AddedColumn {
  name: string;
  type: 'DOUBLE' | 'INTEGER';
  values: ArrayLike<number | null>;
}

/**
 * Writes csv_input's columns plus `added`, in file order, via DuckDB's CSV
 * writer (input text unchanged, doubles in shortest round-trip form), to a
 * temporary name renamed into place: never half a file. The added values
 * reach DuckDB as a scratch CSV keyed by file row (shortest round-trip
 * numbers parse back exactly), which is far cheaper than binding
 * 100k-element lists.
 */
export async function writeCsvWithColumns(db: Database, table: CsvTable, path: string, added: readonly AddedColumn[]): Promise<void> {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const scratch = `${temporary}.results.csv`;
  const lines = Array.from(table.fileRows, (fileRow, unit) =>
    [fileRow, ...added.map((column) => column.values[unit] ?? '')].map(String).join(','),
  );
  const scratchColumns = [`'file_row': 'BIGINT'`, ...added.map((column) => `${quoteLiteral(column.name)}: '${column.type}'`)];
  try {
    writeFileSync(scratch, `${lines.join('\n')}\n`);
    await db.run(
      'match: write output',
      `copy (
         select ${TABLE}.*, ${added.map((column) => `added.${quoteIdentifier(column.name)}`).join(', ')}
         from ${TABLE}
         join read_csv(${quoteLiteral(scratch)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"',
             columns = {${scratchColumns.join(', ')}}) as added
           on ${TABLE}.rowid = added.file_row
         order by ${TABLE}.rowid
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
