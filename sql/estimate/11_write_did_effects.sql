-- Event-study DiD effects of one matched sample in the columns of
-- `subgroup_effects` (those of `effects` after subgroup and level: '' for
-- the study), so 14 can append them: treated x event-month coefficients
-- with their person-clustered (CR1) standard errors and normal 95% CIs
-- ($z_975). The reference month is a row of its own: estimate 0 by
-- construction, se and CI null.
-- The sensitivity estimator did_pre_period_mean measures each month against
-- the mean of the pre-index months instead (b_m less the mean of the
-- pre-index b_k, with its SE), every event month a row.
-- n_treated / n_control: matched persons observed in that month.
-- The study's ci_method names its persons G and person-months N. A subgroup
-- level's does not: its persons are published in subgroups and
-- subgroup_effects under disclosure control, which a number inside a text
-- would bypass.
-- A subgroup level whose DiD is not identified ($not_identified: why; '' when
-- it is) comes as NaN estimates: every row has a null estimate, se, CI and
-- ci_method, the reference month's too, and its method says why. A NaN (a
-- variance rounded below zero) is null here.
-- Values come from TypeScript as parallel lists (one element per estimator x outcome x
-- month); every sum behind them is exact or added in a fixed order, so they
-- do not depend on the thread count.
-- Grain: one row per outcome x estimator x event_month, all of one subgroup x level.
-- Reads: did_design_sums. Writes: did_effects.
create or replace table did_effects as
with
lists as (
    select
        unnest($estimator)::varchar as estimator,
        unnest($outcome)::varchar as outcome,
        unnest($event_month)::integer as event_month,
        unnest($estimate)::double as estimate,
        unnest($se)::double as se
),
fitted as (
    select
        estimator,
        outcome,
        event_month,
        case when not isnan(estimate) then estimate end as estimate,
        case when not isnan(se) then se end as se
    from lists
),
reference as (
    select distinct
        estimator,
        outcome,
        $reference_month::integer as event_month,
        case when $not_identified = '' then 0.0 end::double as estimate,
        null::double as se
    from fitted
    where estimator = 'did_event_study'
),
arm_counts as (
    select
        event_month,
        coalesce(sum(persons) filter (where treated = 1), 0)::bigint as n_treated,
        coalesce(sum(persons) filter (where treated = 0), 0)::bigint as n_control
    from did_design_sums
    where event_month = other_event_month
    group by event_month
),
estimates as (
    select * from fitted
    union all
    select * from reference
),
intervals as (
    select
        $subgroup::varchar as subgroup,
        $level::varchar as level,
        estimates.outcome,
        estimates.estimator,
        estimates.event_month,
        estimates.estimate,
        estimates.se,
        estimates.estimate - $z_975 * estimates.se as ci_low,
        estimates.estimate + $z_975 * estimates.se as ci_high,
        arm_counts.n_treated,
        arm_counts.n_control,
        case estimates.estimator
            when 'did_event_study' then format(
                'event-study DiD: WLS with matching weights, person and event-month fixed effects, treated x event-month effects relative to month {} (that row: 0 by construction, no SE)',
                $reference_month::integer
            )
            else 'sensitivity of the event-study DiD: its effect at the month less the mean of its pre-index effects (the reference month counting 0)'
        end
            || case when $not_identified = '' then '' else '; not identified for this subgroup level, no estimate: ' || $not_identified end
            as method,
        case
            when $not_identified <> '' then null
            when $subgroup = '' then format(
                'CR1 SE clustered by person: G/(G-1) x (N-1)/(N-K), G = {} persons, N = {} person-months, K = {} slope coefficients (person effects not counted; = plm vcovHC arellano type sss); normal 95% CI',
                $persons::bigint, $person_months::bigint, $slope_coefficients::integer
            )
            else format(
                'CR1 SE clustered by person: G/(G-1) x (N-1)/(N-K), G the persons and N the person-months of the level, K = {} slope coefficients (person effects not counted; = plm vcovHC arellano type sss); normal 95% CI',
                $slope_coefficients::integer
            )
        end as ci_method,
        null::double as se_conditional,
        case estimates.estimator
            when 'did_event_study' then format(
                'ATT: the change since month {} of the matched treated persons, less that of their matched controls (parallel trends)',
                $reference_month::integer
            )
            else 'ATT: the change since the pre-index mean of the matched treated persons, less that of their matched controls (parallel trends on average before the index)'
        end as estimand
    from estimates
    join arm_counts using (event_month)
)
select * from intervals
order by outcome, estimator, event_month
