/**
 * Reads one delivered file into DuckDB and gives `raw_rows`, a view of its
 * contract columns as raw VARCHAR with their line numbers, one row per data
 * row (a view over what was read: the rows are not copied again).
 *
 * Every field stays text so that nothing is lost to a failed cast: the
 * contract's checks (validation-sql.ts) then decide per row. Rows the CSV
 * reader cannot split into the header's columns are kept apart in
 * `raw_malformed` with their line, so rows read = raw rows + malformed.
 * `line_number` is the physical line in the file (the header is line 1);
 * for Parquet it is the row number plus one, so it reads the same way.
 *
 * A CSV file's header is the first line captured by its scan (scan-file.ts),
 * and DuckDB's max_line_size is set from limits.max_line_kib so the reader
 * and the scan agree on what is too long. Header errors never print a field
 * that is no contract column: the first line may be a data row.
 * Grain out: raw_rows (a view) = one row per parsable data row.
 */
import { createHash } from 'node:crypto';
import type { Extract } from '../contracts/define-extract.js';
import type { Database } from '../db/database.js';
import { quoteIdentifier, quoteLiteral } from '../db/database.js';
import { fail, type UnknownHeaderField } from '../errors.js';

export interface FileToRead {
  path: string;
  deliveryId: string;
  fileName: string;
  extract: Extract;
  /** A CSV file's first line as its scan captured it, and DuckDB's max_line_size in bytes. */
  csv?: { headerLine: Buffer; maxLineSize: number };
}

export interface RawFileCounts {
  /** Rows DuckDB parsed into the contract's columns. */
  parsed: number;
  /** Rows it could not split (kept in raw_malformed). */
  malformed: number;
  /**
   * How line_number was found: from the order the records were stored in
   * (`rowid`, the cheap path), by counting lines past the malformed ones (`counted`,
   * a window over the file), or from the Parquet reader's row number.
   */
  lineNumbers: LineNumbering;
}

export type LineNumbering = 'rowid' | 'counted' | 'file_row_number';

export async function readRawFile(db: Database, file: FileToRead): Promise<RawFileCounts> {
  const lineNumbers = file.fileName.endsWith('.parquet') ? await readRawParquet(db, file) : await readRawCsv(db, file);
  const [row] = await db.query<{ parsed: number; malformed: number }>(
    'ingest: count raw rows',
    'select (select count(*) from raw_rows)::double as parsed, (select count(*) from raw_malformed)::double as malformed',
  );
  return { parsed: row?.parsed ?? 0, malformed: row?.malformed ?? 0, lineNumbers };
}

/**
 * Drops the file's raw records (raw_rows, the tables behind it, raw_malformed
 * and the CSV reader's rejects, which quote the lines) once its classified
 * rows hold what the steps after need: typed values and the rejected rows'
 * hashes. A large file's text would otherwise hold DuckDB's memory through
 * them.
 */
export async function dropRawRecords(db: Database): Promise<void> {
  await db.run(
    'ingest: drop raw records',
    `drop view if exists raw_rows;
drop table if exists raw_malformed;
drop table if exists raw_csv_rejects;
drop table if exists raw_csv_reject_scans;
drop table if exists raw_record_lines;
drop table if exists raw_csv_records;
drop table if exists raw_parquet_records;`,
  );
}

/** Hex digits of an unknown header field's sha256 printed: 16 bits tell a sender which of their names it is, and are
 * too few to identify a value (about 1,400 nine-digit numbers passing the 11-test share each prefix). */
export const HEADER_FIELD_HASH_DIGITS = 4;

export interface HeaderFields {
  fields: string[];
  isUtf8: boolean;
}

/** The column names of a CSV header line: a leading BOM dropped, split on commas, surrounding quotes and blanks trimmed. */
export function parseHeaderLine(line: Buffer): HeaderFields {
  let text: string;
  let isUtf8 = true;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(line);
  } catch {
    text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(line);
    isUtf8 = false;
  }
  const fields = text
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((name) => name.replace(/^"|"$/g, '').trim());
  return { fields, isUtf8 };
}

/**
 * Every required contract column once, nothing else; an optional column may
 * be left out (all values missing). Contract column names are ours and are
 * named; any other field only by position and a short hash.
 */
function checkHeader(file: FileToRead, header: HeaderFields): void {
  const { fields, isUtf8 } = header;
  const expected = new Set(file.extract.columnNames);
  const missing = file.extract.columnNames.filter((name) => !fields.includes(name) && !file.extract.columns[name]!.optional);
  const duplicated = file.extract.columnNames.filter((name) => fields.indexOf(name) !== fields.lastIndexOf(name));
  const unknown: UnknownHeaderField[] = fields.flatMap((name, index) =>
    expected.has(name)
      ? []
      : [{ position: index + 1, sha256: createHash('sha256').update(name).digest('hex').slice(0, HEADER_FIELD_HASH_DIGITS) }],
  );
  if (missing.length || duplicated.length || unknown.length || !isUtf8) {
    fail({ code: 'header_invalid', delivery: file.deliveryId, file: file.fileName, missing, duplicated, unknown, isUtf8 });
  }
}

/** Contract columns of `raw_rows`: empty strings, and columns the file leaves out, as null. */
function rawColumnsSelect(extract: Extract, header: readonly string[]): string {
  return extract.columnNames
    .map((name) => `nullif(${header.includes(name) ? quoteIdentifier(name) : 'null::VARCHAR'}, '') as ${quoteIdentifier(name)}`)
    .join(',\n    ');
}

/** A raw row's hash for the rejects ledger: sha256 of its contract fields (empty for null) joined by the unit separator. */
export function rawRowHashSql(extract: Extract, qualifier: string): string {
  const fields = extract.columnNames.map((name) => `coalesce(${qualifier}.${quoteIdentifier(name)}, '')`);
  return `sha256(concat_ws(chr(31), ${fields.join(', ')}))`;
}

/** DuckDB's CSV reader options for a delivered file (DESIGN §2): a header row, comma separated, double-quote quoting. */
export const CSV_DIALECT_SQL = `header = true, auto_detect = false, delim = ',', quote = '"', escape = '"'`;

async function readRawCsv(db: Database, file: FileToRead): Promise<LineNumbering> {
  if (!file.csv) throw new Error(`ingest: ${file.fileName} was not scanned before reading`);
  const parsed = parseHeaderLine(file.csv.headerLine);
  checkHeader(file, parsed);
  const header = parsed.fields;
  const columns = header.map((name) => `${quoteLiteral(name)}: 'VARCHAR'`).join(', ');
  await db.run(
    `ingest: read ${file.fileName}`,
    `drop table if exists raw_csv_rejects;
drop table if exists raw_csv_reject_scans;
create or replace temp table raw_csv_records as
select *
from read_csv(${quoteLiteral(file.path)}, ${CSV_DIALECT_SQL},
    columns = {${columns}}, max_line_size = ${file.csv.maxLineSize},
    store_rejects = true, rejects_table = 'raw_csv_rejects', rejects_scan = 'raw_csv_reject_scans');
create or replace temp table raw_malformed as
select line::bigint as line_number, sha256(any_value(csv_line order by column_idx)) as row_hash,
    any_value(error_type::varchar order by column_idx) as error_type
from raw_csv_rejects
group by line;`,
  );
  // rowid follows insertion (= file) order; inside a transaction it starts near 2^55, past a double's exact
  // integers, so the test for gaps and the first rowid stay in BIGINT.
  const [records] = await db.query<{ records: number; contiguous: boolean; first_rowid: string; malformed: number }>(
    `ingest: rows of ${file.fileName}`,
    `select count(*)::double as records, coalesce(max(rowid) - min(rowid) + 1 = count(*), true) as contiguous,
        coalesce(min(rowid), 0)::varchar as first_rowid, (select count(*) from raw_malformed)::double as malformed
     from raw_csv_records`,
  );
  const { records: count, contiguous, first_rowid: first, malformed } = records!;
  if (malformed === 0 && contiguous) {
    // Every record on its own line, numbered as read: the n-th record is on line n + 1. A view, not a copy.
    await db.run(
      `ingest: line numbers of ${file.fileName}`,
      `create or replace temp view raw_rows as
select (rowid - ${BigInt(first)} + 2)::bigint as line_number, ${rawColumnsSelect(file.extract, header)}
from raw_csv_records`,
    );
    return 'rowid';
  }
  // The n-th parsable record sits on the n-th line that is neither the header nor malformed.
  await db.run(
    `ingest: line numbers of ${file.fileName}`,
    `create or replace temp table raw_record_lines as
select line as line_number, row_number() over (order by line) as record_index
from range(2, 2 + ${count + malformed}) as t(line)
where line not in (select line_number from raw_malformed);
create or replace temp view raw_rows as
select lines.line_number, ${rawColumnsSelect(file.extract, header)}
from (select row_number() over (order by rowid) as record_index, * from raw_csv_records) as records
join raw_record_lines as lines using (record_index)`,
  );
  return 'counted';
}

async function readRawParquet(db: Database, file: FileToRead): Promise<LineNumbering> {
  const described = await db.query<{ column_name: string }>(
    `ingest: describe ${file.fileName}`,
    `describe select * from read_parquet(${quoteLiteral(file.path)})`,
  );
  const header = described.map((row) => row.column_name);
  checkHeader(file, { fields: header, isUtf8: true });
  const casts = file.extract.columnNames
    .filter((name) => header.includes(name))
    .map((name) => `${quoteIdentifier(name)}::VARCHAR as ${quoteIdentifier(name)}`);
  await db.run(
    `ingest: read ${file.fileName}`,
    `create or replace temp table raw_parquet_records as
select file_row_number + 2 as line_number, ${casts.join(', ')}
from read_parquet(${quoteLiteral(file.path)}, file_row_number = true);
create or replace temp view raw_rows as
select line_number, ${rawColumnsSelect(file.extract, header)} from raw_parquet_records;
create or replace temp table raw_malformed (line_number bigint, row_hash varchar, error_type varchar);`,
  );
  return 'file_row_number';
}
