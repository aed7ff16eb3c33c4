/**
 * Builds the covariate-balance SQL: before and after matching, per covariate
 * and, for a categorical covariate, per level (dummy-coded).
 *
 * SMD = (treated mean - control mean) / SD of the treated group before
 * matching (DESIGN §3; MatchIt's s.d.denom = "treated"), the same
 * denominator before and after so the two are comparable. Variances are
 * weighted with the bias correction sum(w) / (sum(w)^2 - sum(w^2)), as
 * MatchIt does. Sums are exact DECIMALs grouped by weight, as in
 * sql/estimate/01_sum_outcomes.sql, so the result does not depend on threads.
 * Grain out: one row per covariate x level.
 */
import { quoteIdentifier, quoteLiteral } from '../db/database.js';

export interface BalanceCovariate {
  name: string;
  kind: 'numeric' | 'categorical';
}

function featureSql(covariate: BalanceCovariate): string {
  const column = quoteIdentifier(covariate.name);
  const name = quoteLiteral(covariate.name);
  if (covariate.kind === 'numeric') {
    return `select treated, weight, ${name} as covariate, '' as level, ${column}::decimal(18, 4) as x from persons`;
  }
  return `select persons.treated, persons.weight, ${name} as covariate, levels.level,
        (persons.${column}::varchar = levels.level)::integer::decimal(18, 4) as x
    from persons cross join (select distinct ${column}::varchar as level from persons) as levels`;
}

export function balanceSql(covariates: readonly BalanceCovariate[]): string {
  return `create or replace table balance as
with
persons as (select cohort.*, matches.weight from cohort join matches using (person_id)),
features as (
    ${covariates.map(featureSql).join('\n    union all\n    ')}
),
samples as (
    select 'before' as sample, treated, 1.0 as weight, covariate, level, x from features
    union all
    select 'after', treated, weight, covariate, level, x from features where weight > 0
),
sums as (
    select sample, covariate, level, treated, weight,
        count(*) as persons, count(*) filter (where x <> 0) as persons_positive,
        sum(x) as sum_x, sum(x::decimal(38, 8) * x) as sum_x2
    from samples
    group by sample, covariate, level, treated, weight
),
arm_totals as (
    select sample, covariate, level, treated,
        sum(persons)::bigint as persons,
        sum(persons_positive)::bigint as persons_positive,
        sum((weight * persons)::decimal(38, 10))::double as sum_w,
        sum((weight * weight * persons)::decimal(38, 10))::double as sum_w2,
        sum((weight * sum_x)::decimal(38, 10))::double as sum_wx,
        sum((weight * sum_x2)::decimal(38, 10))::double as sum_wx2
    from sums
    group by sample, covariate, level, treated
),
arm_moments as (
    select sample, covariate, level, treated,
        -- persons counted: everyone for a numeric covariate, those at the level for a categorical one
        case when level = '' then persons else persons_positive end as persons_counted,
        sum_wx / sum_w as mean,
        case when sum_w * sum_w > sum_w2
            then greatest(sum_wx2 - sum_wx * sum_wx / sum_w, 0) * sum_w / (sum_w * sum_w - sum_w2)
        end as variance
    from arm_totals
),
wide as (
    select
        covariate,
        level,
        max(mean) filter (where sample = 'before' and treated = 1) as mean_treated_before,
        max(mean) filter (where sample = 'before' and treated = 0) as mean_control_before,
        max(variance) filter (where sample = 'before' and treated = 1) as variance_treated_before,
        max(variance) filter (where sample = 'before' and treated = 0) as variance_control_before,
        max(mean) filter (where sample = 'after' and treated = 1) as mean_treated_after,
        max(mean) filter (where sample = 'after' and treated = 0) as mean_control_after,
        max(variance) filter (where sample = 'after' and treated = 1) as variance_treated_after,
        max(variance) filter (where sample = 'after' and treated = 0) as variance_control_after,
        max(persons_counted) filter (where sample = 'before' and treated = 1) as persons_treated_before,
        max(persons_counted) filter (where sample = 'before' and treated = 0) as persons_control_before,
        max(persons_counted) filter (where sample = 'after' and treated = 1) as persons_treated_after,
        max(persons_counted) filter (where sample = 'after' and treated = 0) as persons_control_after
    from arm_moments
    group by covariate, level
),
standardised as (
    select
        covariate,
        level,
        round(mean_treated_before, 10) as mean_treated_before,
        round(mean_control_before, 10) as mean_control_before,
        round(case when variance_treated_before > 0
            then (mean_treated_before - mean_control_before) / sqrt(variance_treated_before) end, 10) as smd_before,
        round(case when variance_control_before > 0 then variance_treated_before / variance_control_before end, 10)
            as variance_ratio_before,
        round(mean_treated_after, 10) as mean_treated_after,
        round(mean_control_after, 10) as mean_control_after,
        round(case when variance_treated_before > 0
            then (mean_treated_after - mean_control_after) / sqrt(variance_treated_before) end, 10) as smd_after,
        round(case when variance_control_after > 0 then variance_treated_after / variance_control_after end, 10)
            as variance_ratio_after,
        persons_treated_before,
        persons_control_before,
        persons_treated_after,
        persons_control_after,
        'SD of the treated group before matching' as smd_denominator
    from wide
)
select * from standardised
order by covariate, level`;
}
