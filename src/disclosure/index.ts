/**
 * Disclosure control (DESIGN §6): the one stage every export table passes.
 *
 * Each export table names its person-count columns and, per count, the
 * statistics that would reveal it. A count below the threshold is
 * suppressed (set to null) together with those statistics. The result goes
 * to a `disclosed_<table>` table, the only source src/publish/ writes to
 * export/, and every suppression is listed in disclosure.json.
 */
import type { Database } from '../db/database.js';
import { quoteIdentifier } from '../db/database.js';

export interface SuppressionRule {
  /** Rule id in disclosure.json, e.g. `min_persons:n_treated`. */
  id: string;
  description: string;
  /** SQL over the source row: true when the row's cells must be suppressed. */
  when: string;
  suppress: readonly string[];
  /** The person count the rule guards; rounded when the study asks for rounding. */
  count?: string;
}

export interface ExportTable {
  name: string;
  /** SQL query producing the undisclosed rows. */
  source: string;
  orderBy: string;
  /** Columns the rules need that are not published. */
  hiddenColumns?: readonly string[];
  /** Builds the rules for a threshold. */
  rules: (threshold: number) => SuppressionRule[];
}

export interface TableDisclosure {
  table: string;
  rows: number;
  checks: { rule: string; description: string; rows_affected: number }[];
  /** Cells set to null, per column (a cell hit by several rules counts once). */
  cells_suppressed: Record<string, number>;
  /** Person counts rounded to a multiple of `base` after suppression (optional). */
  rounding: { base: number; columns: string[] } | null;
}

export interface DisclosureReport {
  threshold: number;
  round_counts_to: number | null;
  conventions: string;
  tables: TableDisclosure[];
}

/** A count below the threshold hides itself and the statistics computed from it. */
export function minPersonsRule(threshold: number, count: string, alsoSuppress: readonly string[] = []): SuppressionRule {
  return {
    id: `min_persons:${count}`,
    description: `${count} below ${threshold} persons: suppress ${[count, ...alsoSuppress].join(', ')}`,
    when: `${quoteIdentifier(count)} < ${threshold}`,
    suppress: [count, ...alsoSuppress],
    count,
  };
}

/**
 * Secondary suppression for counts that add up to a published total (the
 * levels of a categorical covariate add up to the arm's persons): when the
 * parts of a group below the threshold add up to less than the threshold,
 * the smallest other part is suppressed too. Subtracting the published
 * parts from the total then yields only a sum of at least the threshold,
 * never a count below it.
 */
export function complementaryPartRule(
  threshold: number,
  count: string,
  group: readonly string[],
  isPart: string,
  alsoSuppress: readonly string[] = [],
): SuppressionRule {
  const column = quoteIdentifier(count);
  const small = `(${isPart} and ${column} < ${threshold})`;
  const partition = `partition by ${group.map(quoteIdentifier).join(', ')}`;
  return {
    id: `complement:${count}`,
    description:
      `the smallest other part of a group whose parts below ${threshold} add up to less than ${threshold}: ` +
      `suppress ${[count, ...alsoSuppress].join(', ')}`,
    when: `${isPart} and ${column} >= ${threshold}
        and sum(${small}::integer) over (${partition}) >= 1
        and coalesce(sum(case when ${small} then ${column} end) over (${partition}), 0) < ${threshold}
        and ${column} = min(case when ${isPart} and ${column} >= ${threshold} then ${column} end) over (${partition})`,
    suppress: [count, ...alsoSuppress],
  };
}

export async function applyDisclosureControl(
  db: Database,
  tables: readonly ExportTable[],
  threshold: number,
  roundCountsTo: number | null = null,
): Promise<DisclosureReport> {
  const report: DisclosureReport = {
    threshold,
    round_counts_to: roundCountsTo,
    conventions:
      'a suppressed cell is null; counts of persons below the threshold are suppressed with every statistic derived from them',
    tables: [],
  };
  for (const table of tables) report.tables.push(await discloseTable(db, table, threshold, roundCountsTo));
  return report;
}

async function discloseTable(
  db: Database,
  table: ExportTable,
  threshold: number,
  roundCountsTo: number | null,
): Promise<TableDisclosure> {
  const rules = table.rules(threshold);
  const rounded = roundCountsTo ? [...new Set(rules.map((rule) => rule.count).filter((count) => count !== undefined))] : [];
  const columns = [...new Set([...rules.flatMap((rule) => rule.suppress), ...rounded])];
  // Rule conditions may use window functions (secondary suppression), so they
  // are evaluated once into flag columns before anything is replaced or counted.
  const flag = (index: number) => quoteIdentifier(`__rule_${index}`);
  const conditionFor = (column: string) =>
    rules
      .map((rule, index) => (rule.suppress.includes(column) ? flag(index) : null))
      .filter((name) => name !== null)
      .join(' or ');
  const flags = rules.map((rule, index) => `coalesce(${rule.when}, false) as ${flag(index)}`);
  const hidden = [...(table.hiddenColumns ?? []), ...rules.map((_, index) => `__rule_${index}`)];
  const shown = (column: string) =>
    rounded.includes(column)
      ? `(round(${quoteIdentifier(column)} / ${roundCountsTo}) * ${roundCountsTo})::bigint`
      : quoteIdentifier(column);
  const replacements = columns.map(
    (column) => `case when ${conditionFor(column) || 'false'} then null else ${shown(column)} end as ${quoteIdentifier(column)}`,
  );
  await db.run(
    `disclosure: ${table.name}`,
    `create or replace temp table undisclosed as
select *${flags.length ? `, ${flags.join(', ')}` : ''} from (${table.source});
create or replace table ${quoteIdentifier(`disclosed_${table.name}`)} as
select * ${hidden.length ? `exclude (${hidden.map(quoteIdentifier).join(', ')})` : ''} ${replacements.length ? `replace (${replacements.join(', ')})` : ''}
from undisclosed
order by ${table.orderBy}`,
  );
  const tallies = [
    'count(*)::double as "rows"',
    ...rules.map((_, index) => `count(*) filter (where ${flag(index)})::double as "rule_${index}"`),
    ...columns.map((column, index) => `count(*) filter (where ${conditionFor(column) || 'false'})::double as "column_${index}"`),
  ];
  const [row] = await db.query<Record<string, number>>(`disclosure: count ${table.name}`, `select ${tallies.join(', ')} from undisclosed`);
  return {
    table: table.name,
    rows: row!.rows!,
    checks: rules.map((rule, index) => ({
      rule: rule.id,
      description: rule.description,
      rows_affected: row![`rule_${index}`]!,
    })),
    cells_suppressed: Object.fromEntries(columns.map((column, index) => [column, row![`column_${index}`]!])),
    rounding: roundCountsTo ? { base: roundCountsTo, columns: rounded } : null,
  };
}
