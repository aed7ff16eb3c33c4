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
-- A month's persons in the estimate are counted from the view per weighting
-- and arm (a person is there at most once a weighting and month) and taken
-- out of those the panel observes, which leaves the ones without comparator:
-- the view's persons are the samples' (matches holds cohort persons only).
-- Joining each sample person-month to its row in the view instead took 5.4 s
-- of the statement's 6.3 s at 1,000,000 persons (7 M rows on either side).
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
    select weighting, treated, event_month, count(*) as persons
    from observed_person_months
    where subgroup = '' and list_contains($report_months, event_month)
    group by weighting, treated, event_month
),
panel_counts as (
    -- per sample, arm and month: the persons the panel observes, and the others by why not
    select
        samples.sample,
        samples.weighting,
        samples.arm,
        samples.treated,
        months.event_month,
        case
            when panel.observed then 'observed'
            when samples.censoring_event_month <= months.event_month then samples.censoring_reason
            else 'outside_coverage'
        end as panel_status,
        count(*) as persons,
        count(*) filter (where samples.crossover_event_month <= months.event_month) as crossed_over
    from samples
    cross join months
    join panel_person_month as panel on panel.person_id = samples.person_id and panel.event_month = months.event_month
    group by all
),
statuses as (
    select
        panel_counts.sample,
        panel_counts.arm,
        panel_counts.event_month,
        panel_counts.panel_status,
        panel_counts.persons,
        panel_counts.crossed_over,
        coalesce(in_estimate.persons, 0) as in_estimate
    from panel_counts
    left join in_estimate
        on panel_counts.panel_status = 'observed'
        and in_estimate.weighting = panel_counts.weighting
        and in_estimate.treated = panel_counts.treated
        and in_estimate.event_month = panel_counts.event_month
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
    -- observed in the panel: in the estimate ('observed') or not ('without_comparator'); the counts of persons only
    select sample, arm, event_month, status, true as is_status, persons
    from (
        select sample, arm, event_month, 'observed' as status, in_estimate as persons from statuses where panel_status = 'observed'
        union all
        select sample, arm, event_month, if(panel_status = 'observed', 'without_comparator', panel_status),
            if(persons < in_estimate, error('monitor/04: more persons in the estimate than the panel observes'), persons - in_estimate)
        from statuses
    )
    where persons > 0
    union all
    select sample, arm, event_month, 'crossed_over', false, sum(crossed_over)::bigint
    from statuses
    group by sample, arm, event_month
    having sum(crossed_over) > 0
),
filled as (
    select sample, arm, event_month, status, is_status, coalesce(counts.persons, 0) as persons
    from possible
    full join counts using (sample, arm, event_month, status, is_status)
)
select * from filled
order by sample, arm, event_month, is_status desc, status
