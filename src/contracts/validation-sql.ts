/**
 * Builds the bulk validation SQL for an extract from its contract.
 *
 * Raw rows hold every field as VARCHAR (null for an empty field). The
 * generated query lists, per row, the rules it fails: column checks in
 * column order (a required field that is empty fails `required` only), then
 * row rules over the typed values, evaluated only when every column passed,
 * exactly as the zod parser does. The first failed rule is the row's reason
 * in the rejects ledger.
 */
import { quoteIdentifier, quoteLiteral } from '../db/quote.js';
import type { Extract, RuleContext } from './define-extract.js';

export interface RuleDescription {
  id: string;
  reason: string;
}

/** `<extract>.<key column>.duplicate`, or `<extract>.key.duplicate` for a composite key. */
export function duplicateKeyRuleId(extract: Extract): string {
  const [single] = extract.keyColumns;
  return `${extract.name}.${extract.keyColumns.length === 1 ? single : 'key'}.duplicate`;
}

/** The key columns as a SQL list (`"a", "b"`), each prefixed with `qualifier.` when given: for `partition by`, `order by`, `select`. */
export function keyColumnsSql(extract: Extract, qualifier?: string): string {
  return extract.keyColumns.map((column) => (qualifier ? `${qualifier}.` : '') + quoteIdentifier(column)).join(', ');
}

/**
 * The key as one SQL value: the column itself, or a row of the columns of a
 * composite key (`("a", "b")`), which DuckDB compares with `in (select a, b ...)`.
 */
export function keyValueSql(extract: Extract, qualifier?: string): string {
  const columns = keyColumnsSql(extract, qualifier);
  return extract.keyColumns.length === 1 ? columns : `(${columns})`;
}

/** Every rule an extract's rows can fail, with the reason written to the ledger. */
export function ruleCatalogue(extract: Extract): RuleDescription[] {
  const rules: RuleDescription[] = [];
  for (const [column, type] of Object.entries(extract.columns)) {
    if (!type.optional) rules.push({ id: `${extract.name}.${column}.required`, reason: `${column} must not be empty` });
    for (const check of type.checks) {
      rules.push({ id: `${extract.name}.${column}.${check.id}`, reason: `${column} ${check.description}` });
    }
  }
  for (const rule of extract.rowRules) rules.push({ id: rule.id, reason: rule.description });
  const key = extract.keyColumns.length === 1 ? extract.keyColumns[0] : `the key (${extract.keyColumns.join(', ')})`;
  rules.push({ id: duplicateKeyRuleId(extract), reason: `${key} must be unique within a delivery; the first occurrence is kept` });
  return rules;
}

function columnFailureSql(extract: Extract, column: string): string {
  const type = extract.columns[column]!;
  const field = quoteIdentifier(column);
  const branches = type.checks.map(
    (check) => `when not (${check.sql(field)}) then ${quoteLiteral(`${extract.name}.${column}.${check.id}`)}`,
  );
  const whenNull = type.optional ? 'null' : quoteLiteral(`${extract.name}.${column}.required`);
  return `case when ${field} is null then ${whenNull} ${branches.join(' ')} end`;
}

/**
 * Per raw row: `line_number`, the typed columns (null where a value is
 * invalid) and the rules it fails: every one in order as `failed_rules`, or
 * (`first`, what ingest needs, without building a list per row) only the
 * first as `failed_rule`, null when it passes, with the raw row itself as the
 * struct `raw_fields` (its columns referenced, not copied) for the rejects'
 * row hash. Row rules may depend on the delivery (`context`).
 */
export function checkRowsSql(extract: Extract, rawTable: string, context: RuleContext, rules: 'all' | 'first' = 'all'): string {
  const columns = extract.columnNames.map(quoteIdentifier);
  const typed = extract.columnNames.map(
    (column) => `try_cast(${quoteIdentifier(column)} as ${extract.columns[column]!.duckdbType}) as ${quoteIdentifier(column)}`,
  );
  const columnFailures = extract.columnNames.map((column) => columnFailureSql(extract, column));
  const rowFailures = extract.rowRules.map(
    (rule) => `case when not coalesce(${rule.sql(context)}, true) then ${quoteLiteral(rule.id)} end`,
  );
  const raw = `raw as (select line_number, ${columns.join(', ')} from ${quoteIdentifier(rawTable)})`;
  if (rules === 'first') {
    // Row rules see the typed values, so they are evaluated on the typed row; the first column failure comes first.
    return `
with
${raw},
column_checked as (
    select line_number, ${typed.join(',\n        ')}, ${firstOf(columnFailures)} as column_failure, raw as raw_fields
    from raw
)
select * exclude (column_failure), coalesce(column_failure, ${firstOf(rowFailures)}) as failed_rule
from column_checked`;
  }
  return `
with
${raw},
column_checked as (
    select
        line_number,
        ${typed.join(',\n        ')},
        list_filter([${columnFailures.join(',\n            ')}]::VARCHAR[], rule -> rule is not null) as column_failures
    from raw
),
row_checked as (
    select
        * exclude (column_failures),
        case
            when len(column_failures) > 0 then column_failures
            else list_filter([${rowFailures.length ? rowFailures.join(', ') : ''}]::VARCHAR[], rule -> rule is not null)
        end as failed_rules
    from column_checked
)
select * from row_checked`;
}

/** The first non-null of rule ids (null when there are none). */
function firstOf(failures: readonly string[]): string {
  return failures.length === 0 ? 'null::VARCHAR' : failures.length === 1 ? failures[0]! : `coalesce(${failures.join(',\n            ')})`;
}

/**
 * DuckDB column definitions of the accepted table, each text column stored as its values repeat, so that DuckDB
 * does not analyse every method for it as it writes (the analysis is most of a text column's cost):
 * - a key of one text column holds each value once (the duplicate rule; a later version replaces an earlier one):
 *   FSST, which DuckDB's analysis chose too; writing 14.5 M payroll rows of the 1,000,000-person world took
 *   23.4-25.9 s of CPU so against 27.4-28.2 s, in as many blocks;
 * - an enumeration (repeats 'few values'): a dictionary;
 * - an identifier that repeats 'where rows are together': a dictionary where the extract's first file holds them
 *   together (`together`, measured by ingest: togetherColumnsSql in src/ingest/load-sql.ts), FSST where it does
 *   not, DuckDB's choice before it is measured. The first payroll file's 14 M rows at 1,000,000 persons, in person
 *   order, copied alone: 15.5-23.4 s of CPU analysed, 11.9-13.7 s as dictionaries, in as many blocks (DuckDB chose
 *   dictionaries); in random order DuckDB chose FSST, and dictionaries took 70% more blocks. Ingest of both
 *   deliveries: 102.7-104.3 -> 95.9-97.9 s.
 */
export function acceptedColumnsSql(extract: Extract, together?: ReadonlySet<string>): string {
  const key = uniqueTextKey(extract);
  const measured = new Set(measuredIdentifiers(extract));
  const storage = (column: string): string => {
    if (column === key) return 'fsst';
    if (extract.columns[column]!.repeats === 'few values') return 'dictionary';
    if (measured.has(column) && together) return together.has(column) ? 'dictionary' : 'fsst';
    return '';
  };
  return extract.columnNames
    .map((column) => {
      const method = storage(column);
      return `${quoteIdentifier(column)} ${extract.columns[column]!.duckdbType}${method ? ` using compression ${method}` : ''}`;
    })
    .join(', ');
}

/** The extract's key when it is one text column, which holds each value once in the accepted table. */
function uniqueTextKey(extract: Extract): string | undefined {
  const [key, ...more] = extract.keyColumns;
  return more.length === 0 && extract.columns[key!]!.duckdbType === 'VARCHAR' ? key : undefined;
}

/** The identifiers stored as the extract's first file holds them: repeating 'where rows are together', not the key. */
export function measuredIdentifiers(extract: Extract): string[] {
  const key = uniqueTextKey(extract);
  return extract.columnNames.filter((column) => column !== key && extract.columns[column]!.repeats === 'where rows are together');
}
