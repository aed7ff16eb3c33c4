-- Effects per outcome and event month: treated mean minus (weighted) control
-- mean. 'matched_att' uses the matching weights; 'unadjusted' is the raw
-- difference over the whole cohort, reported beside it for contrast.
-- The variance of the matched ATT follows the matching design ($variance_method):
--   cluster: exact matching and nearest neighbour without replacement; the
--     cluster-robust variance of the treated coefficient of the weighted
--     regression outcome ~ treated, clustered by matched set (the stratum;
--     the pair or set), as MatchIt's "Estimating effects" guidance and
--     sandwich::vcovCL(fit, cluster = ~subclass) with its lm default HC1:
--     G/(G-1) x (n-1)/(n-2) x the sum over sets of the squared set scores;
--   hc0: with replacement, and for 'unadjusted'; HC0 sandwich of the weighted
--     regression of the outcome on treatment (the arms' variances of the mean).
-- Exact matching also reports se_conditional, the variance for the sample
-- ATT of the matched treated conditional on the strata: the error is the
-- treated persons' unobserved mean outcome without treatment minus the
-- control mean, so per stratum the control-outcome variance v0_s enters
-- twice: sum over strata of (T_s/T)^2 v0_s (1/T_s + 1/C_s); a stratum with
-- one control takes the pooled within-stratum control variance.
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
            * (sum(treated_n + control_n) - 1) / nullif(sum(treated_n + control_n) - 2, 0)
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
            when treated.weighting = 'matched' and $variance_method = 'cluster' then design_variances.cluster
            else treated.variance_of_mean + control.variance_of_mean
        end as variance,
        case when treated.weighting = 'matched' and $exact_strata then design_variances.stratified end as conditional_variance,
        case
            when treated.weighting = 'matched' and $variance_method = 'cluster'
                then 'cluster-robust SE of WLS outcome ~ treated, clustered by matched set ('
                    || case when $exact_strata then 'exact-matching stratum' else 'pair or set' end
                    || '), HC1: G/(G-1) x (n-1)/(n-2), as sandwich::vcovCL; normal 95% CI'
            else 'HC0 robust SE of WLS outcome ~ treated; normal 95% CI'
        end as ci_method,
        case treated.weighting
            when 'matched' then 'ATT: the mean effect on the matched treated persons observed in the month'
            else 'none: the difference between the arms, not an effect'
        end as estimand,
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
        ci_method,
        round(sqrt(conditional_variance), 10) as se_conditional,
        estimand
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
