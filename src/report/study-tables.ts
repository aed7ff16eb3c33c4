/**
 * Study tables (export/tables/, each as .csv and .md), built only from the
 * disclosure-controlled export files of a run, so they cannot reveal more
 * than those. Deterministic text: rebuilding them from the same run gives
 * the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRIMARY_OUTCOMES } from '../config/outcomes.js';
import { EVER_EMPLOYED_REPORT_MONTHS, type StudyConfig } from '../config/study-config.js';
import { COST_MEASURES, PERSPECTIVES, planeShareMeasure, QUADRANTS, type Quadrant } from '../costs/cost-effectiveness.js';
import { toCsv } from '../csv.js';
import { Database, quoteLiteral, sqlList } from '../db/database.js';
import { EXPORT_TABLES } from '../disclosure/export-tables.js';

export interface StudyTable {
  name: string;
  title: string;
  note: string;
  /** Query over the run's export views; every column is formatted as text. */
  sql: string;
}

// `+ 0.0` turns a rounded -0.0 into 0.0, so no table shows "-0.0".
const pp = (column: string) => `coalesce(format('{:.1f}', round(100 * ${column}, 1) + 0.0), 'suppressed')`;
const integer = (column: string) => `coalesce(${column}::bigint::varchar, 'suppressed')`;
const decimal3 = (column: string) => `coalesce(format('{:.3f}', round(${column}, 3) + 0.0), '')`;

/** Table 3's rows: the measures in their registry order, then the plane's quadrants, clockwise from north-east. */
const COST_ROW_ORDER = [
  ...Object.keys(COST_MEASURES),
  ...PERSPECTIVES.flatMap((perspective) => (Object.keys(QUADRANTS) as Quadrant[]).map((name) => planeShareMeasure(perspective, name))),
];

export function studyTables(study: Pick<StudyConfig, 'follow_up' | 'subgroups' | 'estimators' | 'costs'>): StudyTable[] {
  const months = study.follow_up.report_months.join(', ');
  const subgroupTable: StudyTable = {
    name: 'table4_subgroups',
    title: 'Table 4. Effect of IPS per subgroup: matched ATT, percentage points [95% CI]',
    note: 'Target group and funder: each level matched on its own (both arms at that level). Provider: its IPS participants matched against the controls of every provider. Matching as for the whole study; the event-study DiD per level is in subgroup_effects.parquet, costs are not estimated per subgroup. max |SMD|: worst covariate balance after matching within the subgroup.',
    sql: `with
      cells as (
          select subgroup, level, outcome, event_month,
              case when estimate is null then 'suppressed'
                  else ${pp('estimate')} || ' [' || ${pp('ci_low')} || ', ' || ${pp('ci_high')} || ']' end as cell
          from subgroup_effects
          where estimator = 'matched_att' and event_month in (${months})
      ),
      by_month as (
          select subgroup, level, outcome,
              ${study.follow_up.report_months.map((month) => `first(cell) filter (where event_month = ${month}) as month_${month}`).join(',\n              ')}
          from cells
          group by subgroup, level, outcome
      )
      select
          subgroup,
          level,
          case when matched_treated is null and status <> 'estimated' then '' else ${integer('matched_treated')} end as matched_treated,
          case when matched_control is null and status <> 'estimated' then '' else ${integer('matched_control')} end as matched_control,
          ${decimal3('max_abs_smd_after')} as max_abs_smd,
          coalesce(outcome, '') as outcome,
          ${study.follow_up.report_months.map((month) => `coalesce(month_${month}, '') as month_${month}`).join(',\n          ')},
          status || coalesce('; ' || status_detail, '') as status
      from subgroups
      left join by_month using (subgroup, level)
      order by subgroup, level, outcome`,
  };
  return [
    {
      name: 'table1_baseline',
      title: 'Table 1. Baseline characteristics per arm, before and after matching',
      note: 'Means (shares for a categorical level). SMD: difference in means over the SD of the treated group before matching. Suppressed: fewer than the disclosure threshold of persons.',
      sql: `select
          covariate,
          level,
          ${decimal3('mean_treated_before')} as treated_before,
          ${decimal3('mean_control_before')} as control_before,
          ${decimal3('smd_before')} as smd_before,
          ${decimal3('mean_treated_after')} as treated_after,
          ${decimal3('mean_control_after')} as control_after,
          ${decimal3('smd_after')} as smd_after,
          ${decimal3('variance_ratio_after')} as variance_ratio_after
        from balance order by covariate, level`,
    },
    {
      name: 'table2_effects',
      title: 'Table 2. Effect of IPS on paid competitive work, percentage points (95% CI)',
      note:
        'matched_att: weighted difference in means with matching weights (ATT), SE clustered by matched set as in effects.ci_method. ' +
        `did_event_study: event-study difference-in-differences with person and month fixed effects, relative to month ${study.estimators.did.reference_month}, SE clustered by person (CR1). ` +
        'did_pre_period_mean: the same, relative to the mean of the months before the start (sensitivity to the choice of reference month). ' +
        'unadjusted: raw difference over the whole cohort, biased by selection, shown for contrast.',
      sql: `select
          outcome,
          event_month as month,
          estimator,
          ${pp('estimate')} as estimate_pp,
          ${pp('ci_low')} as ci_low_pp,
          ${pp('ci_high')} as ci_high_pp,
          ${integer('n_treated')} as n_treated,
          ${integer('n_control')} as n_control
        from effects
        where list_contains(${sqlList(PRIMARY_OUTCOMES)}, outcome) and event_month in (${months})
        order by outcome, event_month, estimator`,
    },
    {
      name: 'table3_costs',
      title: 'Table 3. Costs, cost-effectiveness and return on investment of IPS vs TVR, per treated person',
      note:
        'Payer view: sickness and disability benefit costs (UWV). Societal view: intervention + benefit + healthcare costs. ' +
        'Intervention: every trajectory started within the follow-up, its cost or the default per programme. ' +
        `Euros in prices of ${study.costs.price_year} (CBS consumer price index); costs discounted ${100 * study.costs.discount_rates.costs}% and effects ${100 * study.costs.discount_rates.effects}% a year from the second follow-up year. ` +
        'Effect: the matched ATT on the effect outcome at the effect month (see basis). ICER: incremental cost per extra person in work; not estimable while the 95% CI of the effect includes 0. ' +
        'ROI: savings per extra euro of intervention, net (0 = break-even). Quadrants: shares of bootstrap replicates on the cost-effectiveness plane. ' +
        'Probability cost-effective: share of replicates with a positive net monetary benefit at that willingness to pay per extra person in work. ' +
        '95% CI: percentile bootstrap (ci_method in costs.parquet says what was resampled).',
      sql: `with
        measures as (
          select perspective, list_position(${sqlList(COST_ROW_ORDER)}, measure) as row_order, label as item, unit,
              case when note is not null then 'not estimable'
                  when estimate is null then 'suppressed'
                  when unit like 'share of bootstrap%' then format('{:.1f}%', round(100 * estimate, 1) + 0.0)
                  when unit like 'euros per%' and unit not like 'euros returned%' then format('{:.0f}', round(estimate, 0) + 0.0)
                  when unit like 'euros returned%' then format('{:.2f}', round(estimate, 2) + 0.0)
                  else format('{:.4f}', round(estimate, 4) + 0.0) end as estimate,
              case when note is not null or estimate is null or ci_low is null then ''
                  when unit like 'euros per%' and unit not like 'euros returned%'
                      then format('{:.0f} to {:.0f}', round(ci_low, 0) + 0.0, round(ci_high, 0) + 0.0)
                  when unit like 'euros returned%' then format('{:.2f} to {:.2f}', round(ci_low, 2) + 0.0, round(ci_high, 2) + 0.0)
                  else format('{:.4f} to {:.4f}', round(ci_low, 4) + 0.0, round(ci_high, 4) + 0.0) end as ci_95,
              coalesce(note, basis) as basis
          from costs
        ),
        thresholds as (
          select quantile_disc(willingness_to_pay_eur, [0, 0.25, 0.5, 1]) as shown from cost_acceptability
        ),
        acceptability as (
          select perspective, 200 + row_number() over (partition by perspective order by willingness_to_pay_eur) as row_order,
              format('Probability cost-effective at EUR {:,.0f} per extra person in work', willingness_to_pay_eur) as item,
              'probability' as unit,
              coalesce(format('{:.1f}%', round(100 * probability_cost_effective, 1) + 0.0), 'suppressed') as estimate,
              '' as ci_95,
              'net monetary benefit ' || coalesce(format('{:.0f} ({:.0f} to {:.0f})', round(nmb_eur, 0) + 0.0, round(ci_low, 0) + 0.0, round(ci_high, 0) + 0.0), 'suppressed') as basis
          from cost_acceptability
          where list_contains((select shown from thresholds), willingness_to_pay_eur)
        )
        select perspective, item, estimate, ci_95, unit, basis
        from (select * from measures union all select * from acceptability)
        order by case perspective when 'both' then 0 when 'payer' then 1 else 2 end, row_order, item`,
    },
    {
      name: 'attrition',
      title: 'Attrition: from the delivered rows to the matched cohort',
      note: 'Rows for the first three steps (delivered, accepted, in force after corrections), persons after. A rule the study does not apply keeps everyone. Suppressed: fewer than the disclosure threshold.',
      sql: `select step_no::varchar as step, step as description, unit,
          ${integer('n')} as n, coalesce(n_treated::bigint::varchar, '') as n_treated,
          coalesce(n_control::bigint::varchar, '') as n_control
        from attrition order by step_no`,
    },
    {
      name: 'linkage',
      title: 'Linkage per extract',
      note: 'Duplicate keys are rejected at ingest; orphans (person not in persons) are kept, since a later delivery may bring the person, and are not used. Superseded: accepted rows that a later delivery replaced (or a full file left out); rows read = rejected + superseded + in force. Coverage: the calendar months the extract covers, stated in delivery.json or read from the rows.',
      sql: `select extract, rows_read::varchar as rows_read, rows_rejected::varchar as rows_rejected,
          rows_superseded::varchar as rows_superseded, rows_in_force::varchar as rows_in_force, ${integer('persons')} as persons,
          orphan_rows::varchar as orphan_rows, duplicate_key_rows::varchar as duplicate_key_rows,
          coalesce(coverage_from || ' to ' || coverage_to, '') as coverage,
          coalesce(coverage_gap_months::varchar, '') as months_not_covered, coalesce(coverage_source, '') as coverage_source
        from linkage order by extract`,
    },
    {
      name: 'follow_up',
      title: 'Follow-up: persons of the matched sample in the estimate, and why the others are not, by months since the start',
      note: "observed: in that month's matched estimate (its n). Censored from the month of death, emigration or reaching state-pension (AOW) age, or (when the study censors them) a control's start of IPS; without comparator: observed, but nobody of the other arm in the matched set is. Started IPS: controls who started IPS by then, censored or not. Suppressed: fewer than the disclosure threshold, or too close to a published count.",
      sql: `select
          arm,
          status,
          ${study.follow_up.report_months.map((month) => `coalesce(max(case when event_month = ${month} then coalesce(persons::bigint::varchar, 'suppressed') end), '0') as month_${month}`).join(',\n          ')}
        from follow_up
        where sample = 'matched'
        group by arm, status
        order by arm, min(case status when 'observed' then 1 when 'without_comparator' then 2 when 'crossed_over' then 9 else 5 end), status`,
    },
    ...(study.subgroups.length ? [subgroupTable] : []),
    {
      name: 'monitoring_ever_employed',
      title: 'Monitoring: share ever in paid competitive work by months since the start of the trajectory, per arm, % (persons)',
      note: 'Ever >= 1 competitive hour in a month since the index month. matched: matching weights (matched persons); unweighted: the whole cohort. Suppressed: fewer than the disclosure threshold of persons, or a month too close to a published one.',
      sql: `select
          weighting,
          arm,
          ${EVER_EMPLOYED_REPORT_MONTHS.filter((month) => month <= study.follow_up.months_after)
            .map(
              (month) =>
                `coalesce(max(case when event_month = ${month} then ${pp('share_ever_employed')} || ' (' || persons_ever_employed::bigint || ')' end), 'suppressed') as month_${month}`,
            )
            .join(',\n          ')}
        from ever_employed
        group by weighting, arm
        order by weighting, arm`,
    },
    {
      name: 'monitoring_at_work',
      title: 'Monitoring: of the persons in an active IPS trajectory at the end of a quarter, the share at work, per provider',
      note: "At work: >= 1 competitive hour in the quarter's last month. All IPS trajectories count, not only the study cohort; 'all' is the programme as a whole. Suppressed: fewer than the disclosure threshold of persons active, at work or not at work, or recoverable from the quarter's total.",
      sql: `select quarter, provider_id as provider, ${integer('persons_active')} as persons_active,
          ${integer('persons_at_work')} as persons_at_work, ${pp('share_at_work')} as share_at_work_pct
        from monitoring
        order by quarter, provider_id = 'all' desc, provider_id`,
    },
  ];
}

function toMarkdown(table: StudyTable, columns: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [`# ${table.title}`, '', line(columns), line(columns.map(() => '---')), ...rows.map(line), '', table.note, ''].join('\n');
}

export interface RenderedTable {
  table: StudyTable;
  columns: string[];
  rows: string[][];
}

/** Runs every study table's query over a database with views of the run's export files. */
export async function queryStudyTables(
  db: Database,
  study: Pick<StudyConfig, 'follow_up' | 'subgroups' | 'estimators' | 'costs'>,
): Promise<RenderedTable[]> {
  const rendered: RenderedTable[] = [];
  for (const table of studyTables(study)) {
    const rows = await db.query<Record<string, string>>(`tables: ${table.name}`, table.sql);
    const columns = Object.keys(rows[0] ?? {});
    rendered.push({ table, columns, rows: rows.map((row) => columns.map((column) => String(row[column] ?? ''))) });
  }
  return rendered;
}

/** Opens an in-memory database with a view per export table (disclosure/export-tables.ts) over its Parquet file in `exportDir`. */
export async function openExportViews(exportDir: string): Promise<Database> {
  const db = await Database.open(':memory:');
  for (const { name } of EXPORT_TABLES) {
    await db.run(
      `report: view ${name}`,
      `create view ${name} as select * from read_parquet(${quoteLiteral(join(exportDir, `${name}.parquet`))})`,
    );
  }
  return db;
}

/** Writes the study tables (.csv and .md) of the run in `runDir` from its export/ files. */
export async function writeStudyTables(
  db: Database,
  runDir: string,
  study: Pick<StudyConfig, 'follow_up' | 'subgroups' | 'estimators' | 'costs'>,
): Promise<RenderedTable[]> {
  const tablesDir = join(runDir, 'export', 'tables');
  mkdirSync(tablesDir, { recursive: true });
  const tables = await queryStudyTables(db, study);
  for (const { table, columns, rows } of tables) {
    writeFileSync(join(tablesDir, `${table.name}.csv`), toCsv(columns, rows));
    writeFileSync(join(tablesDir, `${table.name}.md`), toMarkdown(table, columns, rows));
  }
  return tables;
}
