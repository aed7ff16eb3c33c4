-- How many persons each estimate rests on, and why the others are not
-- observed, per sample, arm and report month ($report_months: cumulative
-- counts at a few months keep more of them above the disclosure threshold;
-- effects give the persons in the estimate for every month).
-- Statuses partition the sample's persons at each month (is_status): in the
-- estimate ('observed'); observed but in a matched set whose other arm is no
-- longer observed ('without_comparator', matched sample only); or censored
-- from an earlier or this month, by reason ('death', 'emigration',
-- 'state_pension_age', and with $censor_control_at_treatment
-- 'started_treated_programme'). 'crossed_over' (not a status, control arm
-- only) counts the controls who started the treated programme by the month,
-- censored or not. Every status that can occur has a row, zero or not, so a
-- hidden small count never shows which status it is.
-- Samples: 'cohort' (every cohort person) and 'matched' (weight > 0).
-- Grain: one row per sample x arm x event_month x status.
-- Reads: cohort, matches, panel_person_month, observed_person_months. Writes: follow_up.
create or replace table follow_up as
with
samples as (
    select 'cohort' as sample, cohort.*, 'unweighted' as weighting from cohort
    union all
    select 'matched', cohort.*, 'matched' from cohort join matches using (person_id) where matches.weight > 0
),
months as (select unnest($report_months)::integer as event_month),
in_estimate as (
    -- only the report months: the filter reaches the panel's scan inside the view
    select weighting, person_id, event_month
    from observed_person_months
    where subgroup = '' and list_contains($report_months, event_month)
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
possible as (
    -- every status that can occur in a sample and arm, and crossed_over for the control arm
    select sample, arm, event_month, status, status <> 'crossed_over' as is_status
    from (select distinct sample, arm from samples)
    cross join months
    cross join (
        select unnest(['observed', 'death', 'emigration', 'state_pension_age', 'without_comparator', 'started_treated_programme', 'crossed_over'])
            as status
    )
    where (status <> 'without_comparator' or sample = 'matched')
        and (status <> 'started_treated_programme' or $censor_control_at_treatment)
        and (status <> 'crossed_over' or arm <> $treated)
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
),
filled as (
    select sample, arm, event_month, status, is_status, coalesce(counts.persons, 0) as persons
    from possible
    full join counts using (sample, arm, event_month, status, is_status)
)
select * from filled
order by sample, arm, event_month, is_status desc, status
