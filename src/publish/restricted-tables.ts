/**
 * The person-level tables a run writes to restricted/: their source, and
 * what each column means (for export/codebook.md and the Parquet metadata).
 * They never leave the secure area; nothing here passes disclosure control.
 */
import { quoteIdentifier } from '../db/quote.js';

export interface RestrictedTable {
  /** File (or, for the panel, directory) under restricted/. */
  file: string;
  /** The warehouse table written, every row and column. */
  from: string;
  /** The order of the rows in each file (a total order: the bytes must not depend on threads). */
  orderBy: string;
  /** A directory of Parquet files, hive-partitioned by this integer column. */
  partitionBy?: string;
  /** Columns of the warehouse table that the run's own statements use and no file holds. */
  warehouseOnly?: readonly string[];
  description: string;
  columns: Readonly<Record<string, string>>;
}

export const RESTRICTED_TABLES: readonly RestrictedTable[] = [
  {
    file: 'cohort.parquet',
    from: 'cohort',
    orderBy: 'person_id',
    description: 'One row per person in the study cohort: arm, index date and baseline covariates.',
    columns: {
      person_id: 'pseudonym',
      arm: 'programme of the first trajectory',
      treated: '1 for the treated programme, 0 for the control',
      index_date: 'start of the first trajectory',
      index_month: 'first day of the index month (event month 0)',
      index_year: 'year of the index date',
      age_at_index: 'index year minus birth year',
      sex: 'M, F or X',
      region: "labour-market region ('unknown' when missing)",
      benefit_type: 'type of the qualifying benefit spell ongoing at the index date',
      benefit_duration_months:
        'whole months from the start of its benefit episode (qualifying spells at most population.episode_gap_days apart) to the index date',
      incapacity_cause: "incapacity cause of that spell ('unknown' when missing)",
      target_group: "SMI or CMD ('unknown' when missing)",
      funder: 'UWV or MUNICIPALITY',
      provider_id: 'provider pseudonym',
      trajectory_cost_eur: 'cost_eur of the first trajectory (null when missing)',
      months_worked_12m: 'calendar months with >= 1 competitive hour among the 12 before the index month',
      months_worked_24m: 'the same over the 24 months before',
      wage_eur_12m: 'competitive wages in the 12 months before the index month',
      wage_eur_24m: 'competitive wages in the 24 months before',
      age_band: 'age at index, coarsened (study config bands)',
      benefit_duration_band: 'benefit duration, coarsened',
      prior_work_band: 'months worked in the 12 months before, coarsened',
      crossover_event_month: 'for a control: the event month it started the treated programme (null: never, in the data)',
      censoring_event_month: 'first follow-up month not observed (null: observed through the follow-up)',
      censoring_reason: "why: 'death', 'emigration', 'state_pension_age' or 'started_treated_programme' (on the same month, in that order)",
    },
  },
  {
    file: 'panel',
    from: 'panel_person_month',
    orderBy: 'person_id, event_month',
    partitionBy: 'event_month',
    // the person's number in person_id order, which later stages join on (sql/panel/01_build_panel.sql)
    warehouseOnly: ['person_key'],
    description: 'Person x event-month outcomes, Parquet files hive-partitioned by event_month.',
    columns: {
      person_id: 'pseudonym',
      event_month: 'months since the index month (the partition key)',
      calendar_month: 'first day of the calendar month',
      observed:
        'the month lies inside the coverage of the employment and benefit extracts and before death, emigration, state-pension age ' +
        "(and a control's start of the treated programme, when censored); every outcome is null when false",
      employed_any: '>= 1 competitive hour in the month (SHELTERED and INTERN jobs excluded), decided on the exact hours',
      employed_48h: '>= 48 competitive hours in the month, decided on the exact hours',
      hours: 'competitive hours, payroll periods spread over months by days (rounded to 2 decimals)',
      wage_eur: 'competitive wages, spread the same way',
      on_benefit: 'on a qualifying benefit (population.qualifying_benefits: sickness and disability) for at least one day of the month',
      benefit_eur: 'qualifying benefit euros: monthly amount times the share of the month on the spell',
      on_any_benefit: 'on any benefit, WW and BIJSTAND included, for at least one day of the month',
      any_benefit_eur: 'euros of any benefit, WW and BIJSTAND included',
    },
  },
  {
    file: 'matches.parquet',
    from: 'matches',
    orderBy: 'person_id',
    description: 'Matching result per cohort person.',
    columns: {
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      subclass: 'matched set: stratum (exact) or pair/set (nearest neighbour without replacement); null when unmatched or with replacement',
      weight: 'ATT matching weight; 0 = unmatched',
      ps: 'propensity score (probability); null for exact matching',
    },
  },
  {
    file: 'subgroup_matches.parquet',
    from: 'subgroup_matches',
    orderBy: 'subgroup, level, person_id',
    description: "Matching result per subgroup level and person of the level's sample (see export/subgroups.parquet).",
    columns: {
      subgroup: 'target_group, funder or provider',
      level: 'level of the subgroup',
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      subclass: 'matched set within the level, as in matches',
      weight: 'ATT matching weight within the level; 0 = unmatched',
    },
  },
  {
    file: 'match_pairs.parquet',
    from: 'match_pairs',
    orderBy: 'subclass, treated desc, person_id',
    description:
      "Nearest-neighbour matching with replacement: one row per pair and member, as MatchIt get_matches() (empty for other matching); the matched ATT's SE is clustered by pair and person on these rows.",
    columns: {
      subclass: "pair: the treated person's, numbered 1.. in person_id order",
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      pair_weight: "the member's weight in the pair: 1 for the treated person, 1 / the pair's controls for each control",
    },
  },
  {
    file: 'subgroup_match_pairs.parquet',
    from: 'subgroup_match_pairs',
    orderBy: 'subgroup, level, subclass, treated desc, person_id',
    description: 'As match_pairs, per subgroup level (empty unless the study matches with replacement).',
    columns: {
      subgroup: 'target_group, funder or provider',
      level: 'level of the subgroup',
      subclass: 'pair within the level, as in match_pairs',
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      pair_weight: 'as in match_pairs',
    },
  },
  {
    file: 'rejects.parquet',
    from: 'rejects',
    orderBy: 'delivery_id, file, line_number',
    description: 'The rejects ledger: one row per rejected input row. The raw row itself is never stored.',
    columns: {
      run_id: 'run that ingested the row',
      delivery_id: 'delivery',
      file: 'file in the delivery',
      line_number: 'physical line in the file (header = line 1); Parquet: row number + 1',
      extract: 'extract of the file',
      rule_id: 'the first rule the row fails, e.g. benefit_spells.end_before_start',
      reason: 'the rule in words',
      row_hash: 'sha256 of the raw fields, joined by the unit separator',
    },
  },
];

/** The rows of a restricted table in the order written; of a partitioned table, given a partition, that partition's rows. */
export function restrictedRowsSql(table: RestrictedTable, partition?: { value: number }): string {
  if (!partition) return `select ${publishedColumns(table)} from ${quoteIdentifier(table.from)} order by ${table.orderBy}`;
  if (!table.partitionBy) throw new Error(`restricted table ${table.file} is not partitioned`);
  if (!Number.isSafeInteger(partition.value)) throw new Error(`restricted table ${table.file}: partition values must be integers`);
  const column = quoteIdentifier(table.partitionBy);
  // the partition column is left to the path (<column>=<value>/), as in DuckDB's hive partitioning
  return `select ${publishedColumns(table, table.partitionBy)} from ${quoteIdentifier(table.from)} where ${column} = ${partition.value} order by ${table.orderBy}`;
}

/** Every column of the table but `leftOut` and those it keeps to the warehouse (warehouseOnly), in the table's order. */
function publishedColumns(table: RestrictedTable, leftOut?: string): string {
  const excluded = [...(leftOut ? [leftOut] : []), ...(table.warehouseOnly ?? [])];
  return excluded.length ? `* exclude (${excluded.map(quoteIdentifier).join(', ')})` : '*';
}

/** The columns that order a partition's rows: the table's order without its partition column. */
function partitionOrderColumns(table: RestrictedTable & { partitionBy: string }): string {
  return table.orderBy
    .split(',')
    .map((column) => column.trim())
    .filter((column) => column !== table.partitionBy)
    .map(quoteIdentifier)
    .join(', ');
}

/**
 * Whether a partitioned table is stored in the order of its partitions' rows: the rows of each value of the order's
 * other columns (the panel's: person_id, one row per partition) lie in a rowid range of their own, and the ranges
 * follow that order. One scan of it on one thread then reads every partition's rows in order (partitionRangeSql).
 * Grain out: one row (in_order).
 */
export function storedInOrderSql(table: RestrictedTable & { partitionBy: string }): string {
  const key = partitionOrderColumns(table);
  return `select coalesce(bool_and(first_rowid > previous_last_rowid), true) as in_order
from (
    select first_rowid, lag(last_rowid, 1, -1) over (order by ${key}) as previous_last_rowid
    from (select ${key}, min(rowid) as first_rowid, max(rowid) as last_rowid from ${quoteIdentifier(table.from)} group by ${key})
)`;
}

/**
 * The rows of the partitions `first` to `last`, as stored, partition column included: the source of one partitioned
 * COPY of a table stored in order (storedInOrderSql), run on one thread so that its rows keep that order.
 */
export function partitionRangeSql(table: RestrictedTable & { partitionBy: string }, first: number, last: number): string {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last)) {
    throw new Error(`restricted table ${table.file}: partition values must be integers`);
  }
  return `select ${publishedColumns(table)} from ${quoteIdentifier(table.from)} where ${quoteIdentifier(table.partitionBy)} between ${first} and ${last}`;
}
