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
--   pair_and_person: nearest neighbour with replacement, as MatchIt 4.7.2's
--     vignette "Estimating effects" (section "Matching with replacement")
--     describes for pair membership and control reuse (Austin & Cafri
--     2020): the same regression on get_matches() rows (the 'pairs' sums of
--     sql/estimate/01: one row per person per pair, n rows in the month),
--     two-way cluster-robust by pair (subclass, P pairs) and by person (id,
--     N persons), as sandwich::vcovCL(fit, cluster = ~subclass + id) with
--     HC1 and multi0 = FALSE: the pair term plus the person term minus the
--     term of their intersection (every row its own cluster, n of them),
--     each with its G/(G-1), all times (n-1)/(n-2):
--       (n-1)/(n-2) x [P/(P-1) V_pair + N/(N-1) V_person - n/(n-1) V_row],
--     V_pair the sum over pairs of the squared pair scores, V_person over
--     persons (a control's score summed over its pairs: the HC0 variance of
--     the 'matched' arm means, weights summed over pairs), V_row over rows.
--     A negative sum (possible in two-way clustering) gives no SE;
--   for 'unadjusted': HC0 sandwich of the weighted regression of the outcome
--     on treatment (the arms' variances of the mean).
-- A row's score for the treated coefficient is w (y - m1) / W1 for a treated
-- row and -w (y - m0) / W0 for a control row (m the arm's weighted mean, W
-- its sum of weights); a cluster's score is the sum over its rows.
-- Exact matching also reports se_conditional, the variance for the sample
-- ATT of the matched treated conditional on the strata: the error is the
-- treated persons' unobserved mean outcome without treatment minus the
-- control mean, so per stratum the control-outcome variance v0_s enters
-- twice: sum over strata of (T_s/T)^2 v0_s (1/T_s + 1/C_s); a stratum with
-- one control takes the pooled within-stratum control variance.
-- 95% CI: normal. Weighted products are rounded to DECIMAL(38,10) before
-- summing so results do not depend on the thread count.
-- Run once per sample ($subgroup and $level: '' and '' for the study's
-- matched cohort, then each subgroup level's) and range of its months
-- (those outcome_sums holds: every CTE here is per event month), after its
-- weighted means (02), its rows added to sample_effects, which the caller has dropped
-- before the first sample; 03_write_effects.sql then splits them into
-- effects and subgroup_effects. One statement for every sample held every
-- sample's matched sets at once in its groupings: at 60,000 persons the
-- run's peak memory (756 -> 1,082 MiB resident while it ran).
-- Grain: one row per subgroup x level x outcome x estimator x event_month.
-- Reads: outcome_sums, sample_arm_means. Writes: sample_differences, sample_effects.
create or replace temp table sample_differences as
with
arm as (select * from sample_arm_means),
treated as (select * from arm where treated = 1),
control as (select * from arm where treated = 0),
cells as (
    -- per matched set and arm: the strata or sets of 'matched', or with replacement the pairs of 'pairs'
    -- (a sample has one or the other). Each is one row of outcome_sums already: a weight taken up in a set or
    -- pair is the same for its arm in the month (set_month_weight), so nothing is grouped here (at 60,000
    -- persons the statement took 4.6 s and 763 MB grouping the 2.9 M rows again, 2.6 s and 615 MB without).
    select
        subgroup, level, outcome, event_month, subclass, treated,
        persons::double as n,
        sum_y::double as sum_y,
        sum_y2::double as sum_y2,
        (weight * persons)::decimal(38, 10)::double as sum_w,
        (weight * sum_y)::decimal(38, 10)::double as sum_wy
    from outcome_sums
    where subgroup = $subgroup and level = $level and weighting in ('matched', 'pairs') and subclass is not null
),
cell_variances as (
    select *, case when n > 1 then greatest(sum_y2 - sum_y * sum_y / n, 0) / (n - 1) end as variance
    from cells
),
set_cells as (
    -- per set (or pair): its treated cell and its control cell side by side, one row each, so any_value takes
    -- that row's value. Grouped once rather than the cells joined to themselves: at 60,000 persons 3.0 -> 2.6 s
    -- and 611 -> 455 MB for this statement alone (the cells were held once for each use, and the join's table).
    select
        subgroup, level, outcome, event_month, subclass,
        any_value(n) filter (where treated = 1) as treated_n,
        any_value(sum_y) filter (where treated = 1) as treated_sum_y,
        any_value(n) filter (where treated = 0) as control_n,
        any_value(variance) filter (where treated = 0) as control_cell_variance,
        any_value(sum_w) filter (where treated = 0) as control_sum_w,
        any_value(sum_wy) filter (where treated = 0) as control_sum_wy
    from cell_variances
    group by subgroup, level, outcome, event_month, subclass
),
pooled_variances as (
    -- the pooled within-set control variance, over every set's control cell (each term rounded, as every sum here)
    select subgroup, level, outcome, event_month,
        coalesce(sum((control_cell_variance * (control_n - 1))::decimal(38, 10))::double / nullif(sum(control_n - 1), 0), 0)
            as pooled_variance
    from set_cells
    where control_n is not null
    group by subgroup, level, outcome, event_month
),
strata as (
    -- the sets with both arms
    select
        sets.subgroup, sets.level, sets.outcome, sets.event_month,
        sets.treated_n, sets.control_n,
        coalesce(sets.control_cell_variance, cp.pooled_variance) as control_variance,
        -- cluster score of the set: its share of (treated mean - m1) minus (control mean - m0)
        sets.treated_sum_y - sets.treated_n * tm.mean as treated_residual_sum,
        sets.control_sum_wy - sets.control_sum_w * cm.mean as control_residual_sum
    from set_cells as sets
    join pooled_variances as cp using (subgroup, level, outcome, event_month)
    join treated as tm using (subgroup, level, outcome, event_month)
    join control as cm using (subgroup, level, outcome, event_month)
    where sets.treated_n is not null and sets.control_n is not null and tm.weighting = 'matched' and cm.weighting = 'matched'
),
set_variances as (
    select
        subgroup,
        level,
        outcome,
        event_month,
        sum(((treated_n * treated_n) * (control_variance / treated_n + control_variance / control_n))::decimal(38, 10))::double
            / (sum(treated_n) * sum(treated_n)) as stratified,
        count(*)::double as sets,
        sum(treated_n + control_n) as set_rows,
        sum(((treated_residual_sum / tm.persons - control_residual_sum / cm.sum_w) ** 2)::decimal(38, 18))::double as set_scores
    from strata
    join treated as tm using (subgroup, level, outcome, event_month)
    join control as cm using (subgroup, level, outcome, event_month)
    where tm.weighting = 'matched' and cm.weighting = 'matched'
    group by subgroup, level, outcome, event_month
),
pair_arms as (
    -- with replacement: per arm, the sums over the pairs' rows that their own squared scores need
    select
        subgroup, level, outcome, event_month, treated,
        sum((weight * persons)::decimal(38, 10))::double as sum_w,
        sum((weight * weight * persons)::decimal(38, 10))::double as sum_w2,
        sum((weight * weight * sum_y)::decimal(38, 10))::double as sum_w2y,
        sum((weight * weight * sum_y2)::decimal(38, 10))::double as sum_w2y2
    from outcome_sums
    where subgroup = $subgroup and level = $level and weighting = 'pairs'
    group by subgroup, level, outcome, event_month, treated
),
row_scores as (
    -- V_row: the sum over the pairs' rows of w^2 (y - m)^2 / W^2, both arms (m the 'matched' arm mean)
    select
        subgroup, level, outcome, event_month,
        sum(greatest(pair_arms.sum_w2y2 - 2 * arm.mean * pair_arms.sum_w2y + arm.mean * arm.mean * pair_arms.sum_w2, 0)
            / (pair_arms.sum_w * pair_arms.sum_w)) as row_scores
    from pair_arms
    join arm using (subgroup, level, outcome, event_month, treated)
    where arm.weighting = 'matched'
    group by subgroup, level, outcome, event_month
),
design_variances as (
    -- cluster: G/(G-1) x (n-1)/(n-2) x V_set; pair_and_person: (n-1)/(n-2) x [P/(P-1) V_pair + N/(N-1) V_person - n/(n-1) V_row]
    select
        set_variances.*,
        sets / nullif(sets - 1, 0) * (set_rows - 1) / nullif(set_rows - 2, 0) * set_scores as cluster,
        (set_rows - 1) / nullif(set_rows - 2, 0) * (
            sets / nullif(sets - 1, 0) * set_scores
            + (tm.persons + cm.persons) / nullif(tm.persons + cm.persons - 1, 0) * (tm.variance_of_mean + cm.variance_of_mean)
            - set_rows / (set_rows - 1) * row_scores.row_scores
        ) as pair_and_person
    from set_variances
    join treated as tm using (subgroup, level, outcome, event_month)
    join control as cm using (subgroup, level, outcome, event_month)
    left join row_scores using (subgroup, level, outcome, event_month)
    where tm.weighting = 'matched' and cm.weighting = 'matched'
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
            when treated.weighting = 'unweighted' then treated.variance_of_mean + control.variance_of_mean
            when $variance_method = 'cluster' then design_variances.cluster
            when $variance_method = 'pair_and_person' and design_variances.pair_and_person >= 0 then design_variances.pair_and_person
        end as variance,
        case when treated.weighting = 'matched' and $exact_strata then design_variances.stratified end as conditional_variance,
        case
            when treated.weighting = 'unweighted' then 'HC0 robust SE of WLS outcome ~ treated; normal 95% CI'
            when $variance_method = 'cluster'
                then 'cluster-robust SE of WLS outcome ~ treated, clustered by matched set ('
                    || case when $exact_strata then 'exact-matching stratum' else 'pair or set' end
                    || '), HC1: G/(G-1) x (n-1)/(n-2), as sandwich::vcovCL; normal 95% CI'
            else 'two-way cluster-robust SE of WLS outcome ~ treated on the pairs'' rows (get_matches: a control once per '
                || 'pair it serves), clustered by pair and by person, for matching with replacement as in MatchIt''s '
                || 'vignette "Estimating effects" (Austin & Cafri 2020): HC1 as sandwich::vcovCL(cluster = ~subclass + id), '
                || '(n-1)/(n-2) x [P/(P-1) V_pair + N/(N-1) V_person - n/(n-1) V_row]; normal 95% CI'
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

create temp table if not exists sample_effects as
select * from sample_differences
limit 0;

insert into sample_effects
select * from sample_differences;
