-- Weighted mean of each outcome per arm and month, with the variance of that
-- mean (HC0 sandwich: sum of w^2 (y - mean)^2 / (sum of w)^2).
-- Weighted cross-products are rounded to DECIMAL(38,10) before summing, so
-- the result does not depend on the order DuckDB adds them in. The 'pairs'
-- rows of matching with replacement are left out: its persons are its
-- 'matched' rows, each once with its weight summed over its pairs.
-- Run once per sample ($subgroup and $level, in the order of the samples'
-- sums, sql/estimate/01) and range of its months (those outcome_sums
-- holds), before its differences (03), which read its sample_arm_means;
-- its rows are added to arm_means, which the caller has dropped before the
-- first sample, so arm_means is in sample order, then range order.
-- Grain: one row per subgroup x level x weighting x outcome x event_month x treated.
-- Reads: outcome_sums. Writes: sample_arm_means, arm_means.
create or replace temp table sample_arm_means as
with
sums as (select * from outcome_sums where subgroup = $subgroup and level = $level and weighting <> 'pairs'),
arm_totals as (
    select
        subgroup,
        level,
        weighting,
        outcome,
        event_month,
        treated,
        sum(persons)::bigint as persons,
        sum(persons_positive)::bigint as persons_positive,
        sum((weight * persons)::decimal(38, 10))::double as sum_w,
        sum((weight * weight * persons)::decimal(38, 10))::double as sum_w2,
        sum((weight * sum_y)::decimal(38, 10))::double as sum_wy,
        sum((weight * weight * sum_y)::decimal(38, 10))::double as sum_w2y,
        sum((weight * weight * sum_y2)::decimal(38, 10))::double as sum_w2y2
    from sums
    group by subgroup, level, weighting, outcome, event_month, treated
),
means as (
    select
        *,
        sum_wy / sum_w as mean
    from arm_totals
),
variances as (
    select
        * exclude (sum_w2, sum_wy, sum_w2y, sum_w2y2),
        greatest(sum_w2y2 - 2 * mean * sum_w2y + mean * mean * sum_w2, 0) / (sum_w * sum_w) as variance_of_mean
    from means
)
select * from variances
order by weighting, outcome, event_month, treated;

create table if not exists arm_means as
select * from sample_arm_means
limit 0;

insert into arm_means
select * from sample_arm_means;
