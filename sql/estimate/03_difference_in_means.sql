-- Effects per outcome and event month: treated mean minus (weighted) control
-- mean. 'matched_att' uses the matching weights; 'unadjusted' is the raw
-- difference over the whole cohort, reported beside it for contrast.
-- The variance of the matched ATT follows the matching design ($variance_method):
--   stratified: exact matching; the variance for the sample ATT of the
--     matched treated, conditional on the strata: the error is the treated
--     persons' unobserved mean outcome without treatment minus the control
--     mean, so per stratum the control-outcome variance v0_s enters twice:
--     sum over strata of (T_s/T)^2 v0_s (1/T_s + 1/C_s); a stratum with one
--     control takes the pooled within-stratum control variance;
--   cluster: nearest neighbour without replacement; cluster-robust by matched
--     set (MatchIt's advice), CR1 factor G/(G-1);
--   hc0: with replacement, and for 'unadjusted'; HC0 sandwich of the weighted
--     regression of the outcome on treatment (the arms' variances of the mean).
-- 95% CI: normal. Weighted products are rounded to DECIMAL(38,10) before
-- summing so results do not depend on the thread count.
-- Computed per sample (subgroup, level): the study's matched cohort goes to
-- effects, the subgroup levels to subgroup_effects.
-- Grain: one row per outcome x estimator x event_month (subgroup_effects: per
-- subgroup x level too).
-- Reads: outcome_sums, arm_means. Writes: effects, subgroup_effects.
create or replace temp table sample_effects as
with
arm as (select * from arm_means),
treated as (select * from arm where treated = 1),
control as (select * from arm where treated = 0),
cells as (
    -- per matched set and arm; weights are constant within a stratum and arm under exact matching
    select
        subgroup, level, outcome, event_month, subclass, treated,
        sum(persons)::double as n,
        sum(sum_y)::double as sum_y,
        sum(sum_y2)::double as sum_y2,
        sum((weight * persons)::decimal(38, 10))::double as sum_w,
        sum((weight * sum_y)::decimal(38, 10))::double as sum_wy
    from outcome_sums
    where weighting = 'matched'
    group by subgroup, level, outcome, event_month, subclass, treated
),
cell_variances as (
    select *, case when n > 1 then greatest(sum_y2 - sum_y * sum_y / n, 0) / (n - 1) end as variance
    from cells
),
pooled_variances as (
    select subgroup, level, outcome, event_month, treated,
        coalesce(sum(variance * (n - 1)) / nullif(sum(n - 1), 0), 0) as pooled_variance
    from cell_variances
    group by subgroup, level, outcome, event_month, treated
),
strata as (
    select
        t.subgroup, t.level, t.outcome, t.event_month,
        t.n as treated_n, c.n as control_n,
        coalesce(c.variance, cp.pooled_variance) as control_variance,
        -- cluster score of the set: its share of (treated mean - m1) minus (control mean - m0)
        t.sum_y - t.n * tm.mean as treated_residual_sum,
        c.sum_wy - c.sum_w * cm.mean as control_residual_sum
    from cell_variances as t
    join cell_variances as c using (subgroup, level, outcome, event_month, subclass)
    join pooled_variances as cp using (subgroup, level, outcome, event_month)
    join treated as tm using (subgroup, level, outcome, event_month)
    join control as cm using (subgroup, level, outcome, event_month)
    where t.treated = 1 and c.treated = 0 and cp.treated = 0 and tm.weighting = 'matched' and cm.weighting = 'matched'
),
design_variances as (
    select
        subgroup,
        level,
        outcome,
        event_month,
        sum(((treated_n * treated_n) * (control_variance / treated_n + control_variance / control_n))::decimal(38, 10))::double
            / (sum(treated_n) * sum(treated_n)) as stratified,
        count(*)::double / nullif(count(*) - 1, 0)
            * sum(((treated_residual_sum / tm.persons - control_residual_sum / cm.sum_w) ** 2)::decimal(38, 18))::double as cluster
    from strata
    join treated as tm using (subgroup, level, outcome, event_month)
    join control as cm using (subgroup, level, outcome, event_month)
    where tm.weighting = 'matched' and cm.weighting = 'matched'
    group by subgroup, level, outcome, event_month
),
differences as (
    select
        treated.subgroup,
        treated.level,
        treated.outcome,
        case treated.weighting when 'matched' then 'matched_att' else 'unadjusted' end as estimator,
        treated.event_month,
        treated.mean - control.mean as estimate,
        case
            when treated.weighting = 'matched' and $variance_method = 'stratified' then design_variances.stratified
            when treated.weighting = 'matched' and $variance_method = 'cluster' then design_variances.cluster
            else treated.variance_of_mean + control.variance_of_mean
        end as variance,
        case
            when treated.weighting = 'matched' and $variance_method = 'stratified'
                then 'variance of the sample ATT within exact-matching strata: sum (T_s/T)^2 v0_s (1/T_s + 1/C_s); normal 95% CI'
            when treated.weighting = 'matched' and $variance_method = 'cluster'
                then 'cluster-robust SE by matched set, CR1 factor G/(G-1); normal 95% CI'
            else 'HC0 robust SE of WLS outcome ~ treated; normal 95% CI'
        end as ci_method,
        treated.persons as n_treated,
        control.persons as n_control
    from treated
    join control using (subgroup, level, weighting, outcome, event_month)
    left join design_variances using (subgroup, level, outcome, event_month)
),
intervals as (
    select
        subgroup,
        level,
        outcome,
        estimator,
        event_month,
        round(estimate, 10) as estimate,
        round(sqrt(variance), 10) as se,
        round(estimate - $z_975 * sqrt(variance), 10) as ci_low,
        round(estimate + $z_975 * sqrt(variance), 10) as ci_high,
        n_treated,
        n_control,
        case estimator
            when 'matched_att' then 'weighted difference in means with matching weights (ATT)'
            else 'unadjusted difference in means, whole cohort (biased by selection; for contrast only)'
        end as method,
        ci_method
    from differences
)
select * from intervals;

create or replace table effects as
select * exclude (subgroup, level)
from sample_effects
where subgroup = ''
order by outcome, estimator, event_month;

create or replace table subgroup_effects as
select *
from sample_effects
where subgroup <> ''
order by subgroup, level, outcome, estimator, event_month;
