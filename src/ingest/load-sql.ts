/**
 * Builds the SQL that classifies a file's raw rows and loads them: accepted
 * rows into the extract's table of rows in force (superseding earlier
 * versions of their key), rejected rows into the ledger.
 *
 * A row's rule is the first it fails: column checks and row rules
 * (validation-sql.ts), then the duplicate key rule (the first occurrence in
 * line order is kept; a key that an earlier file of the same extract in the
 * delivery accepted is a duplicate too). Whether a row's person is known is
 * not a property of the row: a later delivery may bring the person, so rows
 * of unknown persons are kept and counted as orphans by the link stage.
 *
 * Versions (DESIGN §2): a key loaded from an earlier delivery is replaced by
 * the version with the later extract_date (on the same date, the later
 * delivery id), whatever the order deliveries arrive in; the replaced
 * version moves to `<extract>_superseded` with the delivery that superseded
 * it. A row equal to the version in force leaves it in force. A `full` file
 * also withdraws every row in force that it does not hold.
 * Grain in: `raw_rows` and `raw_malformed` (read-raw-file.ts). Out: a
 * file's classified table (one row per row read, with its rule), the
 * extract table, `<extract>_superseded`, `rejects`, and `incoming` (one row
 * per accepted row of the file with its status: inserted, replaced,
 * unchanged or stale).
 */

import type { Extract, RuleContext } from '../contracts/define-extract.js';
import type { FileMode } from '../contracts/delivery.js';
import {
  acceptedColumnsSql,
  checkRowsSql,
  duplicateKeyRuleId,
  keyColumnsSql,
  keyValueSql,
  measuredIdentifiers,
  ruleCatalogue,
} from '../contracts/validation-sql.js';
import { quoteIdentifier, quoteLiteral } from '../db/database.js';
import { rawRowHashSql } from './read-raw-file.js';

export const MALFORMED_RULE = 'csv_malformed';

function supersededTable(extract: Extract): string {
  return `${extract.name}_superseded`;
}

/** A delivery's id on each of its rows: a few values, so a dictionary (acceptedColumnsSql says why storage is set). */
const DELIVERY_COLUMN = 'varchar not null using compression dictionary';

/** The extract's table of rows in force; `together`: its identifiers the first file holds together (acceptedColumnsSql). */
export function createAcceptedTableSql(extract: Extract, together?: ReadonlySet<string>): string {
  return `create table if not exists ${quoteIdentifier(extract.name)} (${acceptedColumnsSql(extract, together)}, delivery_id ${DELIVERY_COLUMN})`;
}

/** Every version that is no longer in force, with the delivery that superseded it. */
export function createSupersededTableSql(extract: Extract): string {
  return `create table if not exists ${quoteIdentifier(supersededTable(extract))} (
    ${acceptedColumnsSql(extract)}, delivery_id ${DELIVERY_COLUMN}, superseded_by ${DELIVERY_COLUMN})`;
}

/** Accepted rows, from a file's first, that togetherColumnsSql looks at: a few column segments of identifiers. */
const TOGETHER_SAMPLE_ROWS = 16_384;

/**
 * Whether the file in `classified` holds each of the extract's measuredIdentifiers together: among its first
 * TOGETHER_SAMPLE_ROWS accepted rows, at most half as many distinct values as values, so a column segment's
 * dictionary holds each value for several rows. One row, a boolean per column; null when the extract has no such
 * column. Read when the extract's table is still empty, to store it so (createAcceptedTableSql).
 */
export function togetherColumnsSql(extract: Extract, classified: string): string | null {
  const columns = measuredIdentifiers(extract);
  if (!columns.length) return null;
  const measures = columns.map((name) => {
    const column = quoteIdentifier(name);
    return `count(distinct ${column}) * 2 <= count(${column}) as ${column}`;
  });
  return `select ${measures.join(', ')}
from (select ${columns.map(quoteIdentifier).join(', ')} from ${quoteIdentifier(classified)} where rule_id is null limit ${TOGETHER_SAMPLE_ROWS})`;
}

/**
 * `classified`: one row per row read: the typed columns, the first column or
 * row rule it fails as `rule_id` (null when it passes) and, for a rejected
 * row, the hash of its raw fields; then the rows the reader could not split,
 * with the malformed rule. One projection over the raw rows, so the table
 * keeps the order raw_rows reads them in (the file's, unless malformed rows
 * made read-raw-file.ts count lines); the duplicates are found after it
 * (markDuplicatesSql) and kept apart.
 */
export function classifyRawRowsSql(extract: Extract, context: RuleContext, classified: string): string {
  const table = quoteIdentifier(classified);
  return `create or replace temp table ${table} as
select * exclude (raw_fields, failed_rule), failed_rule as rule_id,
    case when failed_rule is not null then ${rawRowHashSql(extract, 'raw_fields')} end as row_hash
from (${checkRowsSql(extract, 'raw_rows', context, 'first')});
insert into ${table} (line_number, rule_id, row_hash)
select line_number, ${quoteLiteral(`${extract.name}.${MALFORMED_RULE}`)}, row_hash from raw_malformed order by line_number;`;
}

/** The duplicate rows of `classified` (markDuplicatesSql): their line numbers and raw hashes. */
export function duplicatesTable(classified: string): string {
  return `${classified}_duplicates`;
}

/**
 * Finds the duplicate rows of `classified` (the duplicate key rule): a row
 * that passes every other rule but whose key an earlier line of the file
 * holds, or that an earlier file of the same extract in the delivery accepted
 * (`earlier`, their classified tables; their duplicates hold keys those
 * files accepted, so they need not be left out). The first occurrence in
 * line order is kept. Keys held more than once are found by their 64-bit
 * hash first, and confirmed on the few rows whose hash repeats; the raw
 * rows are read again only for the duplicates' hashes. A repeated hash is
 * one equal to the hash before it in sorted order: the first delivery's
 * 14.2 M payroll rows at 1 M persons, sorting their hashes 1.4 s, grouping
 * them 6.1 s (a group per row, nearly: DuckDB's hash aggregate is slow at
 * that many groups); the whole statement 10.2-12.4 -> 5.5-6.4 s.
 * The duplicates go to their own table (duplicatesTable), and their line
 * numbers, as bits 0 to `lastLine`, to a variable of the same name that
 * acceptedRowsSql filters on; `classified` is not updated: an UPDATE of a
 * few rows slowed every later scan of the 14 M-row payroll file's table
 * (putting it in force, replayed alone: 6.9 s without, 10.0 s with), and a
 * join on the duplicates would make DuckDB's insert unordered.
 */
export function markDuplicatesSql(extract: Extract, classified: string, earlier: readonly string[], lastLine: number): string {
  const table = quoteIdentifier(classified);
  const duplicates = duplicatesTable(classified);
  const keyColumns = keyColumnsSql(extract);
  const inEarlierFiles = earlier.length
    ? `union
    select line_number from ${table}
    where rule_id is null
        and ${keyValueSql(extract)} in (${earlier.map((name) => `select ${keyColumns} from ${quoteIdentifier(name)} where rule_id is null`).join(' union all ')})`
    : '';
  return `create or replace temp table ${quoteIdentifier(duplicates)} as
with
repeated_hashes as (
    select distinct key_hash
    from (
        select key_hash, lag(key_hash) over (order by key_hash) as previous_hash
        from (select hash(${keyColumns}) as key_hash from ${table} where rule_id is null)
    )
    where key_hash = previous_hash
),
candidates as (
    select line_number, ${keyColumns}
    from ${table}
    where rule_id is null and hash(${keyColumns}) in (select key_hash from repeated_hashes)
),
repeated_keys as (
    select ${keyColumns}, min(line_number) as first_line
    from candidates
    group by ${keyColumns}
    having count(*) > 1
),
duplicates as (
    select line_number from candidates join repeated_keys using (${keyColumns}) where line_number > first_line
    ${inEarlierFiles}
)
select line_number, ${rawRowHashSql(extract, 'raw')} as row_hash
from raw_rows as raw
where line_number in (select line_number from duplicates)
order by line_number;
${setLineBitsSql(duplicates, quoteIdentifier(duplicates), lastLine)}`;
}

/**
 * Sets the variable `variable` to the line numbers of `lines` (a relation with a line_number column) as bits 0 to
 * `lastLine`: a set of lines a scan of a classified table filters on (lineBitSql) without a join, which would cost
 * DuckDB's order-keeping insert.
 */
function setLineBitsSql(variable: string, lines: string, lastLine: number): string {
  return `set variable ${quoteIdentifier(variable)} = (
    select coalesce(bitstring_agg(line_number, 0, ${lastLine}), repeat('0', ${lastLine} + 1)::bit)
    from ${lines}
);`;
}

/** A row's bit in the line bits `variable` holds (setLineBitsSql): 1 when its line is among them. */
function lineBitSql(variable: string): string {
  return `get_bit(getvariable(${quoteLiteral(variable)}), line_number::integer)`;
}

/** The accepted rows of `classified`: no rule failed, and not a duplicate (markDuplicatesSql's variable). */
export function acceptedRowsSql(classified: string): string {
  return `rule_id is null and ${lineBitSql(duplicatesTable(classified))} = 0`;
}

/**
 * `incoming`: one row per accepted row of the file, by its key and line,
 * with how it relates to the version of its key in force (status: inserted,
 * replaced, unchanged or stale) and that version's delivery. The row's other
 * columns stay in the classified table, found by its line: most of a later
 * delivery's rows are only counted here, and writing every column of them
 * again cost a fifth of the comparison (the second payroll file at 1 M
 * persons: 7.9 M rows compared in 5.5-5.6 s with every column, 4.4-4.7 s
 * with the key and line).
 * With nothing in force for the extract (its first delivery, usually the
 * largest), every row is new and `incoming` is a view over the classified
 * rows: no join and no copy. At 1 M persons the join of the 14 M-row
 * payroll file against the empty table took 42 s and was ingest's memory
 * peak (1,831 MiB with DuckDB held to 990 MiB); the copy took 5.8 s.
 */
export function compareIncomingSql(extract: Extract, anyInForce: boolean, classified: string): string {
  const columns = extract.columnNames.map(quoteIdentifier);
  const keyColumns = extract.keyColumns.map(quoteIdentifier);
  if (!anyInForce) {
    return `create or replace temp view incoming as
select ${keyColumns.join(', ')}, line_number, null::varchar as in_force_delivery_id, 'inserted' as status
from ${quoteIdentifier(classified)} where ${acceptedRowsSql(classified)}`;
  }
  const sameKey = keyColumns.map((column) => `in_force.${column} = accepted.${column}`).join(' and ');
  const equal = columns.map((column) => `accepted.${column} is not distinct from in_force.${column}`).join(' and ');
  // in_force is not first cut to the file's keys: the left join does that, and a semi-join on a materialized copy
  // of the file's rows cost more time and memory than it saved
  return `create or replace temp table incoming as
with
accepted as (select ${columns.join(', ')}, line_number from ${quoteIdentifier(classified)} where ${acceptedRowsSql(classified)}),
deliveries as (select distinct delivery_id, extract_date from ingested_files),
in_force as (
    select current.*, deliveries.extract_date
    from ${quoteIdentifier(extract.name)} as current
    join deliveries using (delivery_id)
)
select
    ${keyColumns.map((column) => `accepted.${column}`).join(', ')},
    accepted.line_number,
    in_force.delivery_id as in_force_delivery_id,
    case
        when in_force.delivery_id is null then 'inserted'
        when in_force.extract_date > $extract_date::DATE
            or (in_force.extract_date = $extract_date::DATE and in_force.delivery_id > $delivery_id) then 'stale'
        when ${equal} then 'unchanged'
        else 'replaced'
    end as status
from accepted
left join in_force on ${sameKey}`;
}

/** The newest delivery whose rows are in force for this extract, if it is newer than this one (a full file may not replace it). */
export function newerInForceSql(extract: Extract): string {
  return `select delivery_id, strftime(extract_date, '%Y-%m-%d') as extract_date
from (select distinct delivery_id from ${quoteIdentifier(extract.name)})
join (select distinct delivery_id, extract_date from ingested_files) using (delivery_id)
where extract_date > $extract_date::DATE or (extract_date = $extract_date::DATE and delivery_id > $delivery_id)
order by extract_date desc, delivery_id desc
limit 1`;
}

/** Rows in force from earlier deliveries that a full file does not hold. */
export function countWithdrawnSql(extract: Extract): string {
  const table = quoteIdentifier(extract.name);
  return `select count(*)::double as withdrawn from ${table} where ${keyValueSql(extract)} not in (select ${keyColumnsSql(extract)} from incoming)`;
}

/**
 * Where the rows put in force are read, in line order: the classified table's accepted rows as they are (nothing is
 * in force, so every one goes in, and the table holds them in line order), the classified table filtered on the lines
 * `incoming` puts in force, or that sorted by line (the classified table is not in line order).
 */
export type InForceSource =
  | { read: 'accepted'; classified: string }
  | { read: 'classified'; classified: string; lastLine: number }
  | { read: 'sorted classified'; classified: string; lastLine: number };

/** The variable holding, as bits 0 to the file's last line, the lines of `classified` that applyIncomingSql puts in force. */
export function linesInForceVariable(classified: string): string {
  return `${classified}_in_force`;
}

/**
 * Moves superseded versions to history and puts the winning incoming rows in force, in line order, read as
 * `source` says; a row's columns come from the classified table (`incoming` has its key and line). Neither table is
 * sorted where it is in line order: sorting the 14 M rows of the first payroll file at 1 M persons took 4.1 s, and
 * the second delivery's 7.6 M rows went into force in 7.2 s sorted, in 4.9 s (0.4 of it the lines' bits) read
 * from the classified table.
 */
export function applyIncomingSql(extract: Extract, mode: FileMode, source: InForceSource): string {
  const table = quoteIdentifier(extract.name);
  const history = quoteIdentifier(supersededTable(extract));
  const classified = quoteIdentifier(source.classified);
  const key = keyValueSql(extract);
  const keyColumns = keyColumnsSql(extract);
  const columns = extract.columnNames.map(quoteIdentifier);
  const replaced = `${key} in (select ${keyColumns} from incoming where status = 'replaced')`;
  const leaving = mode === 'full' ? `(${replaced} or ${key} not in (select ${keyColumns} from incoming))` : replaced;
  // every accepted row, or the lines incoming puts in force (as bits set first)
  const inForce =
    source.read === 'accepted'
      ? { lines: '', where: acceptedRowsSql(source.classified) }
      : {
          lines: setLineBitsSql(
            linesInForceVariable(source.classified),
            "incoming where status in ('inserted', 'replaced')",
            source.lastLine,
          ),
          where: `${lineBitSql(linesInForceVariable(source.classified))} = 1`,
        };
  return `insert into ${history}
select ${columns.map((column) => `file.${column}`).join(', ')}, $delivery_id, incoming.in_force_delivery_id
from incoming join ${classified} as file using (line_number)
where incoming.status = 'stale'
order by line_number;
insert into ${history}
select ${columns.join(', ')}, delivery_id, $delivery_id from ${table} where ${leaving} order by ${keyColumns};
delete from ${table} where ${leaving};
${inForce.lines}
insert into ${table}
select ${columns.join(', ')}, $delivery_id from ${classified}
where ${inForce.where}${source.read === 'sorted classified' ? ' order by line_number' : ''};`;
}

/**
 * The months a file covers, from its accepted rows, when delivery.json
 * states none: from the first start to the last end (an open end: the
 * extract date), never past the last month complete at the extract date.
 * Several files of one extract in a delivery widen one row.
 */
export function recordDataCoverageSql(extract: Extract, classified: string): string {
  const { start, end } = extract.coverage!;
  return `insert into extract_coverage
select * from (
    select
        $delivery_id, $extract_date::DATE, ${quoteLiteral(extract.name)}, $mode,
        date_trunc('month', min(${quoteIdentifier(start)}))::DATE as coverage_from,
        least(
            date_trunc('month', max(coalesce(${quoteIdentifier(end)}, $extract_date::DATE)))::DATE,
            $last_complete_month::DATE
        ) as coverage_to,
        'data'
    from ${quoteIdentifier(classified)}
    where ${acceptedRowsSql(classified)}
)
where coverage_from <= coverage_to
on conflict (delivery_id, extract) do update set
    coverage_from = least(coverage_from, excluded.coverage_from),
    coverage_to = greatest(coverage_to, excluded.coverage_to)`;
}

/** Ledger rows for the rejected rows of `classified`, malformed ones and duplicates included; reasons come from the contract's rule catalogue. */
export function insertRejectsSql(extract: Extract, classified: string): string {
  const reasons = [
    ...ruleCatalogue(extract),
    { id: `${extract.name}.${MALFORMED_RULE}`, reason: 'row cannot be split into the header columns' },
  ]
    .map((rule) => `(${quoteLiteral(rule.id)}, ${quoteLiteral(rule.reason)})`)
    .join(',\n    ');
  return `insert into rejects
with
reasons(rule_id, reason) as (values
    ${reasons}
),
rejected as (
    select line_number, rule_id, row_hash from ${quoteIdentifier(classified)} where rule_id is not null
    union all
    select line_number, ${quoteLiteral(duplicateKeyRuleId(extract))}, row_hash from ${quoteIdentifier(duplicatesTable(classified))}
)
select $run_id, $delivery_id, $file, rejected.line_number, ${quoteLiteral(extract.name)}, rejected.rule_id, reasons.reason, rejected.row_hash
from rejected join reasons using (rule_id)
order by rejected.line_number`;
}
