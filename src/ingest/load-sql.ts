/**
 * Builds the SQL that classifies staged rows and loads them: accepted rows
 * into the extract's warehouse table, rejected rows into the ledger.
 *
 * A row's rule is the first it fails: column checks and row rules
 * (validation-sql.ts), then the duplicate key rule (the first occurrence in
 * line order is kept; a key already in the warehouse from an earlier
 * delivery is a duplicate too), then the unknown-person rule.
 */
import { quoteIdentifier, quoteLiteral } from '../db/database.js';
import type { Extract } from '../contracts/define-extract.js';
import {
  acceptedColumnsSql,
  checkRowsSql,
  duplicateKeyRuleId,
  ruleCatalogue,
  unknownPersonRuleId,
} from '../contracts/validation-sql.js';

export const MALFORMED_RULE = 'csv_malformed';

export function createAcceptedTableSql(extract: Extract): string {
  return `create table if not exists ${quoteIdentifier(extract.name)} (${acceptedColumnsSql(extract)}, delivery_id varchar not null)`;
}

export function classifyStagedSql(extract: Extract): string {
  const table = quoteIdentifier(extract.name);
  const key = quoteIdentifier(extract.key);
  const unknownPerson = extract.referencesPerson
    ? `when checked.person_id not in (select person_id from persons) then ${quoteLiteral(unknownPersonRuleId(extract))}`
    : '';
  return `create or replace temp table classified as
with
checked as (${checkRowsSql(extract, 'staged')}),
ranked as (
    select
        *,
        row_number() over (partition by ${key}, len(failed_rules) = 0 order by line_number) as key_rank
    from checked
)
select
    checked.* exclude (failed_rules, key_rank),
    case
        when len(failed_rules) > 0 then failed_rules[1]
        when key_rank > 1 or ${key} in (select ${key} from ${table}) then ${quoteLiteral(duplicateKeyRuleId(extract))}
        ${unknownPerson}
    end as rule_id
from ranked as checked`;
}

export function insertAcceptedSql(extract: Extract): string {
  const columns = extract.columnNames.map(quoteIdentifier).join(', ');
  return `insert into ${quoteIdentifier(extract.name)}
select ${columns}, $delivery_id from classified where rule_id is null order by line_number`;
}

/** Ledger rows for rejected and malformed rows; reasons come from the contract's rule catalogue. */
export function insertRejectsSql(extract: Extract): string {
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
    select line_number, rule_id, row_hash from classified where rule_id is not null
    union all
    select line_number, ${quoteLiteral(`${extract.name}.${MALFORMED_RULE}`)}, row_hash from staged_malformed
)
select $run_id, $delivery_id, $file, rejected.line_number, ${quoteLiteral(extract.name)}, rejected.rule_id, reasons.reason, rejected.row_hash
from rejected join reasons using (rule_id)
order by rejected.line_number`;
}
