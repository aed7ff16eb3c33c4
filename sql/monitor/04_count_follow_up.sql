-- How many persons each estimate rests on, and why the others are not
-- observed, per sample, arm and follow-up month (0..$months_after).
-- Statuses partition the sample's persons at each month (is_status): in the
-- estimate ('observed'); observed but in a matched set whose other arm is no
-- longer observed ('without_comparator', matched sample only); or censored
-- from an earlier or this month, by reason ('death', 'emigration',
-- 'state_pension_age', 'started_treated_programme'). 'crossed_over' (not a
-- status) counts the controls who started the treated programme by the
-- month, censored or not. Only counts above zero are rows.
-- Samples: 'cohort' (every cohort person) and 'matched' (weight > 0).
-- Grain: one row per sample x arm x event_month x status with persons.
-- Reads: cohort, matches, panel_person_month, observed_person_months. Writes: follow_up.
create or replace table follow_up as
with
samples as (
    select 'cohort' as sample, cohort.*, 'unweighted' as weighting from cohort
    union all
    select 'matched', cohort.*, 'matched' from cohort join matches using (person_id) where matches.weight > 0
),
months as (select range::integer as event_month from range(0, $months_after + 1)),
in_estimate as (
    select weighting, person_id, event_month from observed_person_months where subgroup = ''
),
statuses as (
    select
        samples.sample,
        samples.arm,
        months.event_month,
        case
            when in_estimate.person_id is not null then 'observed'
            when panel.observed then 'without_comparator'
            when samples.censoring_event_month <= months.event_month then samples.censoring_reason
            else 'outside_coverage'
        end as status,
        samples.crossover_event_month <= months.event_month as has_crossed_over
    from samples
    cross join months
    join panel_person_month as panel on panel.person_id = samples.person_id and panel.event_month = months.event_month
    left join in_estimate
        on in_estimate.weighting = samples.weighting
        and in_estimate.person_id = samples.person_id
        and in_estimate.event_month = months.event_month
),
counts as (
    select sample, arm, event_month, status, true as is_status, count(*) as persons
    from statuses
    group by sample, arm, event_month, status
    union all
    select sample, arm, event_month, 'crossed_over', false, count(*)
    from statuses
    where has_crossed_over
    group by sample, arm, event_month
)
select * from counts
order by sample, arm, event_month, is_status desc, status
