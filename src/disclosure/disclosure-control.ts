/**
 * Disclosure control (DESIGN §6): the rules every export table passes
 * before it is written to export/ (the tables and their rules are declared
 * in export-tables.ts; the stage that runs this is index.ts).
 *
 * Each export table names its person-count columns and, per count, the
 * statistics that would reveal it. A count below the threshold is
 * suppressed (set to null) together with those statistics; so is a count
 * whose difference from a larger published count would be below the
 * threshold. Secondary suppression then hides a second part of any total
 * whose hidden parts could otherwise be recovered by subtraction.
 *
 * Across tables: a count that several tables publish is linked by a key
 * naming the quantity (see LinkedCount). Once a table suppresses it, every
 * table does, and their own secondary suppression follows; the tables are
 * disclosed again, in rounds, until no new key is suppressed (a round skips
 * a table whose disclosure could not change: one that links no count, or
 * that saw every key suppressed so far).
 *
 * The result goes to a `disclosed_<table>` table, the only source
 * src/publish/ writes to export/, and every suppression is listed in
 * disclosure.json.
 */
import type { Database } from '../db/database.js';
import { quoteIdentifier, quoteLiteral } from '../db/database.js';

/** A rule decided on the row itself (and window functions over the source rows). */
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

/**
 * Secondary suppression for counts that add up to a published total (the
 * levels of a categorical covariate add up to the arm's persons). A part is
 * hidden when a row rule or a linked table suppresses it. When a group has
 * exactly one hidden part, or hidden parts adding up to less than the
 * threshold, its smallest visible part is suppressed too: subtracting the
 * published parts from the total then yields only a sum of two or more
 * hidden parts of at least the threshold.
 */
export interface ComplementRule {
  kind: 'complement';
  id: string;
  description: string;
  threshold: number;
  count: string;
  group: readonly string[];
  /** SQL: true for the rows that are parts of the group's total. */
  isPart: string;
  suppress: readonly string[];
}

/**
 * A series of counts, in `order` within each `group` (rows where `applies`):
 * walking from `start` (SQL over the series' first row: the count known
 * before it, e.g. 0 for a cumulative count), a count is published only when
 * it equals the last published count or differs from it by at least the
 * threshold; otherwise it is suppressed and the last published count stays.
 * Walking `backward` from the last row (its own start) keeps the final count
 * of a cumulative series, the total, and thins out the months before it.
 */
export interface SeriesRule {
  kind: 'series';
  id: string;
  description: string;
  threshold: number;
  count: string;
  group: readonly string[];
  order: string;
  backward: boolean;
  start: string;
  applies: string;
  suppress: readonly string[];
}

export type DisclosureRule = SuppressionRule | ComplementRule | SeriesRule;

/** Rules decided per row before the complement rules look at what is hidden. */
function isRowRule(rule: DisclosureRule): rule is SuppressionRule | SeriesRule {
  return !('kind' in rule) || rule.kind === 'series';
}

/**
 * A count published in more than one table, named by the quantity it
 * counts: persons of an arm (`treated`, `control`, or `all`) in a sample
 * (`cohort`, `matched`, a subgroup level's matched sample, or a register:
 * `persons`, `trajectories`), optionally at one covariate level, and, for
 * a month's estimate, in that month once it differs from the sample's size.
 * A literal is the same for every row; `{ column }` reads it from a column
 * of the source rows (a null sample or arm: the row's count is not linked).
 */
export interface LinkedCount {
  /** The count column. */
  column: string;
  sample: string | { column: string };
  /** A column holds the row's programme (the study's treated or control arm). */
  arm: 'treated' | 'control' | 'all' | { column: string };
  /** A column holding `covariate=level` (null: the whole arm). */
  level?: { column: string };
  /** The count is the sample's size in this column, or a count of event_month's estimate. */
  perMonth?: { sizeColumn: string };
}

/** An export table as the rules see it: its source rows, published columns and rules. */
export interface DisclosedTable {
  name: string;
  /** The table holding the undisclosed rows. */
  source: string;
  /** The columns published, in order; the source's other columns only feed the rules. */
  columns: readonly string[];
  orderBy: string;
  links: readonly LinkedCount[];
  rules: readonly DisclosureRule[];
}

/** The programme names of the arms, which `{ column }` arms of links hold. */
export interface ArmNames {
  treated: string;
  control: string;
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
  /** How often the tables were disclosed until no table suppressed a new linked count. */
  rounds: number;
  tables: TableDisclosure[];
  /** Small differences the rules cannot hide, for a person to review before release. */
  warnings: string[];
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

/** Secondary suppression over the parts of a total (see ComplementRule). */
export function complementaryPartRule(
  threshold: number,
  count: string,
  group: readonly string[],
  isPart: string,
  alsoSuppress: readonly string[] = [],
): ComplementRule {
  return {
    kind: 'complement',
    id: `complement:${count}`,
    description:
      `the smallest visible part of a group with one hidden part, or hidden parts adding up to less than ${threshold}: ` +
      `suppress ${[count, ...alsoSuppress].join(', ')}`,
    threshold,
    count,
    group,
    isPart,
    suppress: [count, ...alsoSuppress],
  };
}

/**
 * A count that is part of a larger published count (after matching within
 * before; a later attrition step within an earlier one): when the
 * difference is a count below the threshold, the part is suppressed.
 */
export function differenceRule(threshold: number, whole: string, part: string, alsoSuppress: readonly string[] = []): SuppressionRule {
  return {
    id: `difference:${part}`,
    description: `${whole} minus ${part} is between 1 and ${threshold - 1} persons: suppress ${[part, ...alsoSuppress].join(', ')}`,
    when: `(${whole}) - ${quoteIdentifier(part)} between 1 and ${threshold - 1}`,
    suppress: [part, ...alsoSuppress],
    count: part,
  };
}

/** A series of counts published only in steps of 0 or at least the threshold (see SeriesRule). */
export function seriesRule(
  threshold: number,
  count: string,
  series: { group: readonly string[]; order: string; backward?: boolean; start?: string; applies?: string },
  alsoSuppress: readonly string[] = [],
): SeriesRule {
  const backward = series.backward ?? false;
  return {
    kind: 'series',
    id: `series:${count}`,
    description:
      `in a series of ${count} by ${series.order}${backward ? ' (from the last)' : ''}, a count differing from the last published one by 1 to ${threshold - 1} persons: ` +
      `suppress ${[count, ...alsoSuppress].join(', ')}`,
    threshold,
    count,
    group: series.group,
    order: series.order,
    backward,
    start: series.start ?? (backward ? quoteIdentifier(count) : '0'),
    applies: series.applies ?? 'true',
    suppress: [count, ...alsoSuppress],
  };
}

const SUPPRESSED_KEYS = 'disclosure_suppressed_keys';

export interface DisclosureSettings {
  threshold: number;
  roundCountsTo: number | null;
  arms: ArmNames;
}

export async function applyDisclosureControl(
  db: Database,
  tables: readonly DisclosedTable[],
  settings: DisclosureSettings,
  warnings: readonly string[] = [],
): Promise<DisclosureReport> {
  const { threshold, roundCountsTo } = settings;
  await db.run('disclosure: linked keys', `create or replace temp table ${SUPPRESSED_KEYS} (key varchar primary key)`);
  // Per table, its last disclosure and how many keys were suppressed when it started.
  const last = new Map<DisclosedTable, { keys: number; report: TableDisclosure }>();
  // Suppressed keys only accumulate, so a linked count once hidden stays hidden and the rounds end.
  for (let rounds = 1; ; rounds++) {
    const before = await db.count(SUPPRESSED_KEYS);
    const reports: TableDisclosure[] = [];
    for (const table of tables) {
      // Only the linked rules read the suppressed keys, and the keys only grow: a table without links, or with no
      // key added since its last disclosure started, would give the same rows, report and keys again.
      const keys = await db.count(SUPPRESSED_KEYS);
      const previous = last.get(table);
      if (previous && (table.links.length === 0 || previous.keys === keys)) {
        reports.push(previous.report);
        continue;
      }
      const report = await discloseTable(db, table, settings);
      last.set(table, { keys, report });
      reports.push(report);
    }
    if ((await db.count(SUPPRESSED_KEYS)) === before) {
      return {
        threshold,
        round_counts_to: roundCountsTo,
        conventions:
          'a suppressed cell is null; counts of persons below the threshold, or differing from a larger published count ' +
          'by fewer persons than the threshold, are suppressed with every statistic derived from them; a count several ' +
          'tables publish is suppressed in all of them or in none. Not protected: the difference between a count before ' +
          'and after matching (persons left unmatched, per covariate level or bin), and between the persons an estimate ' +
          'rests on in two months (persons who left observation in between, all reasons together; follow_up splits them ' +
          "by reason only where each reason's count is safe)",
        rounds,
        tables: reports,
        warnings: [...warnings],
      };
    }
  }
}

async function discloseTable(db: Database, table: DisclosedTable, settings: DisclosureSettings): Promise<TableDisclosure> {
  const { links, rules: tableRules } = table;
  const { roundCountsTo } = settings;
  const rules: DisclosureRule[] = [...tableRules, ...links.map((link, index) => linkedRule(link, keyColumn(index), tableRules))];
  const rounded = roundCountsTo ? [...new Set(tableRules.flatMap((rule) => ('kind' in rule || !rule.count ? [] : [rule.count])))] : [];
  const columns = [...new Set([...rules.flatMap((rule) => rule.suppress), ...rounded])];
  // Rules are evaluated once into flag columns before anything is replaced or
  // counted: row rules first, then the complement rules, which look at them.
  const flag = (index: number) => quoteIdentifier(`__rule_${index}`);
  const suppressing = (column: string, kinds: 'row' | 'all') =>
    rules
      .map((rule, index) => (rule.suppress.includes(column) && (kinds === 'all' || isRowRule(rule)) ? flag(index) : null))
      .filter((name) => name !== null)
      .join(' or ') || 'false';
  const rowFlags = rules
    .map((rule, index) => {
      if (!isRowRule(rule)) return null;
      const when = 'kind' in rule ? `not ${shownColumn(index)}` : rule.when;
      return `coalesce(${when}, false) as ${flag(index)}`;
    })
    .filter((sql) => sql !== null);
  const complementFlags = rules
    .map((rule, index) =>
      'kind' in rule && rule.kind === 'complement'
        ? `${complementCondition(rule, suppressing(rule.count, 'row'))} as ${flag(index)}`
        : null,
    )
    .filter((sql) => sql !== null);
  const series = rules.flatMap((rule, index) => ('kind' in rule && rule.kind === 'series' ? [{ rule, index }] : []));
  for (const { rule, index } of series) {
    await db.run(
      `disclosure: ${table.name} ${rule.id}`,
      seriesWalkSql(rule, `select * from ${quoteIdentifier(table.source)}`, seriesTable(index)),
    );
  }
  const withSeries = series.reduce(
    (sql, { rule, index }) =>
      `select source.*, coalesce(walk.__shown, true) as ${shownColumn(index)}
       from (${sql}) as source
       left join ${seriesTable(index)} as walk using (${[...rule.group, rule.order].map(quoteIdentifier).join(', ')})`,
    `select * from ${quoteIdentifier(table.source)}`,
  );
  const keys = links.map((link, index) => `${linkKey(link, settings.arms)} as ${keyColumn(index)}`);
  const shown = (column: string) =>
    rounded.includes(column)
      ? `(round(${quoteIdentifier(column)} / ${roundCountsTo}) * ${roundCountsTo})::bigint`
      : quoteIdentifier(column);
  const replacements = new Map(
    columns.map((column) => [
      column,
      `case when ${suppressing(column, 'all')} then null else ${shown(column)} end as ${quoteIdentifier(column)}`,
    ]),
  );
  const extend = (sql: string, additions: string[]) => (additions.length ? `select *, ${additions.join(', ')} from (${sql})` : sql);
  await db.run(
    `disclosure: ${table.name}`,
    `create or replace temp table undisclosed as
${extend(extend(extend(withSeries, keys), rowFlags), complementFlags)};
create or replace table ${quoteIdentifier(`disclosed_${table.name}`)} as
select ${table.columns.map((column) => replacements.get(column) ?? quoteIdentifier(column)).join(', ')}
from undisclosed
order by ${table.orderBy}`,
  );
  for (const [index, link] of links.entries()) {
    await db.run(
      `disclosure: ${table.name} suppressed keys`,
      `insert into ${SUPPRESSED_KEYS}
       select distinct ${keyColumn(index)} from undisclosed where ${keyColumn(index)} is not null and (${suppressing(link.column, 'all')})
       on conflict do nothing`,
    );
  }
  const tallies = [
    'count(*)::double as "rows"',
    ...rules.map((_, index) => `count(*) filter (where ${flag(index)})::double as "rule_${index}"`),
    ...columns.map((column, index) => `count(*) filter (where ${suppressing(column, 'all')})::double as "column_${index}"`),
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

const keyColumn = (index: number) => quoteIdentifier(`__key_${index}`);
const shownColumn = (index: number) => quoteIdentifier(`__shown_${index}`);
const seriesTable = (index: number) => quoteIdentifier(`disclosure_series_${index}`);

/** The walk of a SeriesRule over the source rows: per group and order value, whether its count is published. */
function seriesWalkSql(rule: SeriesRule, source: string, target: string): string {
  const group = rule.group.map(quoteIdentifier);
  const shown = (count: string, last: string) => `(${count} = ${last} or abs(${count} - ${last}) >= ${rule.threshold})`;
  const sameGroup = group.map((column) => `points.${column} is not distinct from walk.${column}`);
  return `create or replace temp table ${target} as
with recursive
points as (
    select
        ${group.map((column) => `${column}, `).join('')}${quoteIdentifier(rule.order)} as __order,
        ${quoteIdentifier(rule.count)} as __count,
        ${rule.start} as __start,
        row_number() over (
            ${group.length ? `partition by ${group.join(', ')} ` : ''}order by ${quoteIdentifier(rule.order)}${rule.backward ? ' desc' : ''}
        ) as __step
    from (${source})
    where ${rule.applies}
),
walk as (
    select
        ${group.map((column) => `${column}, `).join('')}__order, __step,
        ${shown('__count', '__start')} as __shown,
        case when ${shown('__count', '__start')} then __count else __start end as __last
    from points
    where __step = 1
    union all
    select
        ${group.map((column) => `points.${column}, `).join('')}points.__order, points.__step,
        ${shown('points.__count', 'walk.__last')},
        case when ${shown('points.__count', 'walk.__last')} then points.__count else walk.__last end
    from walk
    join points on ${[...sameGroup, 'points.__step = walk.__step + 1'].join(' and ')}
)
select ${group.map((column) => `${column}, `).join('')}__order as ${quoteIdentifier(rule.order)}, __shown from walk`;
}

/** SQL for the key of a linked count over a source row: `<sample>|<arm>[|<covariate>=<level>][|m=<month>]`, null when not linked. */
function linkKey(link: LinkedCount, arms: ArmNames): string {
  const sample = typeof link.sample === 'string' ? quoteLiteral(link.sample) : quoteIdentifier(link.sample.column);
  const arm =
    typeof link.arm === 'string'
      ? quoteLiteral(link.arm)
      : `case ${quoteIdentifier(link.arm.column)} when ${quoteLiteral(arms.treated)} then 'treated' when ${quoteLiteral(arms.control)} then 'control' end`;
  const level = link.level ? ` || coalesce('|' || ${quoteIdentifier(link.level.column)}, '')` : '';
  const month = link.perMonth
    ? ` || case when ${quoteIdentifier(link.column)} = ${quoteIdentifier(link.perMonth.sizeColumn)} then '' else '|m=' || event_month end`
    : '';
  return `${sample} || '|' || ${arm}${level}${month}`;
}

/** A linked count whose key is suppressed somewhere takes with it what this table's own rules suppress with that count. */
function linkedRule(link: LinkedCount, key: string, tableRules: readonly DisclosureRule[]): SuppressionRule {
  const suppress = [...new Set([link.column, ...tableRules.flatMap((rule) => (rule.count === link.column ? rule.suppress : []))])];
  return {
    id: `linked:${link.column}`,
    description: `the same count is suppressed elsewhere in this run (another table, or this one in an earlier round): suppress ${suppress.join(', ')}`,
    when: `${key} in (select key from ${SUPPRESSED_KEYS})`,
    suppress,
  };
}

/** SQL for a complement rule, given the condition under which a row rule hides the count. */
function complementCondition(rule: ComplementRule, hiddenByRow: string): string {
  const count = quoteIdentifier(rule.count);
  const hidden = `(${rule.isPart} and (${hiddenByRow}))`;
  const visible = `(${rule.isPart} and not (${hiddenByRow}) and ${count} is not null)`;
  const partition = `partition by ${rule.group.map(quoteIdentifier).join(', ')}`;
  return `coalesce(${visible}
        and sum(${hidden}::integer) over (${partition}) >= 1
        and (sum(${hidden}::integer) over (${partition}) = 1
             or coalesce(sum(case when ${hidden} then ${count} end) over (${partition}), 0) < ${rule.threshold})
        and ${count} = min(case when ${visible} then ${count} end) over (${partition}), false)`;
}
