-- Effects per outcome and event month: treated mean minus (weighted) control
-- mean. 'matched_att' uses the matching weights; 'unadjusted' is the raw
-- difference over the whole cohort, reported beside it for contrast.
-- SE: HC0 sandwich of a weighted regression of the outcome on treatment
-- (equal to the two arms' variances of the mean added); 95% CI normal.
-- Grain: one row per outcome x estimator x event_month.
-- Reads: arm_means. Writes: effects.
create or replace table effects as
with
treated as (select * from arm_means where treated = 1),
control as (select * from arm_means where treated = 0),
differences as (
    select
        treated.outcome,
        case treated.weighting when 'matched' then 'matched_att' else 'unadjusted' end as estimator,
        treated.event_month,
        treated.mean - control.mean as estimate,
        sqrt(treated.variance_of_mean + control.variance_of_mean) as se,
        treated.persons as n_treated,
        control.persons as n_control
    from treated
    join control using (weighting, outcome, event_month)
),
intervals as (
    select
        outcome,
        estimator,
        event_month,
        round(estimate, 10) as estimate,
        round(se, 10) as se,
        round(estimate - 1.959963984540054 * se, 10) as ci_low,
        round(estimate + 1.959963984540054 * se, 10) as ci_high,
        n_treated,
        n_control,
        case estimator
            when 'matched_att' then 'weighted difference in means with matching weights (ATT)'
            else 'unadjusted difference in means, whole cohort (biased by selection; for contrast only)'
        end as method,
        'HC0 robust SE of WLS outcome ~ treated; normal 95% CI' as ci_method
    from differences
)
select * from intervals
order by outcome, estimator, event_month
