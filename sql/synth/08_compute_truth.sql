-- The planted effect: the true ATT per event month.
-- Over the IPS persons in the study population (first trajectory IPS, index
-- date in the window, age = index year - birth_year in range, on a
-- qualifying benefit at index), the mean of (outcome in the IPS world -
-- outcome in the control world), each world's outcome measured exactly as
-- the pipeline does: competitive hours in a calendar month = sum over the
-- payroll periods of non-sheltered, non-intern jobs of hours_paid x (days
-- of the period in that month) / (days of the period); employed_any = hours
-- >= 1, employed_48h = hours >= 48. Event month m = index month + m months.
-- Hours are summed exactly in integer units: hundredths of an hour x days x
-- (lcm(1..31) / period days); payroll periods are at most 31 days.
-- The same per level of each subgroup the pipeline can report (target group,
-- funder, provider of the first trajectory).
-- Grain: synth_truth_month, one row per event month 1..$follow_up_months;
-- synth_truth_subgroup_month, one per subgroup x level x event month.
-- Reads: synth_person, synth_trajectory, synth_payroll_period.
-- Writes: synth_truth_month, synth_truth_subgroup_month.
create or replace temp table synth_truth_treated as
select
    persons.person_no,
    persons.index_month,
    coalesce(first_trajectory.target_group, 'unknown') as target_group,
    first_trajectory.funder,
    first_trajectory.provider_id as provider
from synth_person as persons
join synth_trajectory as first_trajectory on first_trajectory.trajectory_no = persons.person_no * 4 + 1
where persons.programme = 'IPS'
  and persons.index_date between $index_from::date and $index_to::date
  and persons.age_at_index between $min_age and $max_age
  and list_contains($qualifying_benefit_types, persons.benefit_type);

create or replace temp table synth_truth_person_month as
with
treated as (select person_no, index_month from synth_truth_treated),
worlds (world_name) as (values ('ips'), ('control')),
world_periods as (
    select
        treated.person_no,
        treated.index_month,
        worlds.world_name,
        periods.period_start,
        periods.period_end,
        periods.hours_paid
    from synth_payroll_period as periods
    join treated using (person_no)
    join worlds on periods.world in ('shared', worlds.world_name)
    where not list_contains($non_competitive_job_types, periods.job_type)
),
month_parts as (
    select
        *,
        unnest(generate_series(date_trunc('month', period_start), date_trunc('month', period_end), interval 1 month))::date
            as calendar_month
    from world_periods
),
exact_hours as (
    select
        person_no,
        world_name,
        datediff('month', index_month, calendar_month) as event_month,
        (hours_paid * 100)::hugeint
            * (least(period_end, last_day(calendar_month)) - greatest(period_start, calendar_month) + 1)
            * (505412435127600 // (period_end - period_start + 1)) as hour_units
    from month_parts
),
person_months as (
    select
        person_no,
        world_name,
        event_month,
        sum(hour_units) >= 100 * 505412435127600::hugeint as employed_any,
        sum(hour_units) >= 4800 * 505412435127600::hugeint as employed_48h
    from exact_hours
    where event_month between 1 and $follow_up_months
    group by person_no, world_name, event_month
)
select * from person_months;

create or replace table synth_truth_month as
with
month_counts as (
    select
        event_month,
        count(*) filter (where world_name = 'ips' and employed_any) as ips_employed_any,
        count(*) filter (where world_name = 'control' and employed_any) as control_employed_any,
        count(*) filter (where world_name = 'ips' and employed_48h) as ips_employed_48h,
        count(*) filter (where world_name = 'control' and employed_48h) as control_employed_48h
    from synth_truth_person_month
    group by event_month
),
event_months as (
    select range as event_month from range(1, $follow_up_months + 1)
),
treated_count as (
    select count(*) as ips_persons from synth_truth_treated
),
effects as (
    select
        event_months.event_month::integer as event_month,
        ips_persons::integer as ips_persons,
        round(coalesce(ips_employed_any, 0) / ips_persons, 6) as ips_world_employed_any,
        round(coalesce(control_employed_any, 0) / ips_persons, 6) as control_world_employed_any,
        round(coalesce(ips_employed_48h, 0) / ips_persons, 6) as ips_world_employed_48h,
        round(coalesce(control_employed_48h, 0) / ips_persons, 6) as control_world_employed_48h,
        round((coalesce(ips_employed_any, 0) - coalesce(control_employed_any, 0)) / ips_persons, 6) as att_employed_any,
        round((coalesce(ips_employed_48h, 0) - coalesce(control_employed_48h, 0)) / ips_persons, 6) as att_employed_48h
    from event_months
    cross join treated_count
    left join month_counts using (event_month)
)
select * from effects;

create or replace table synth_truth_subgroup_month as
with
levels as (
    unpivot (select person_no, target_group, funder, provider from synth_truth_treated)
    on target_group, funder, provider
    into name subgroup value level
),
level_persons as (
    select subgroup, level, count(*) as ips_persons from levels group by subgroup, level
),
month_counts as (
    select
        levels.subgroup,
        levels.level,
        months.event_month,
        count(*) filter (where world_name = 'ips' and employed_any) - count(*) filter (where world_name = 'control' and employed_any)
            as difference_employed_any,
        count(*) filter (where world_name = 'ips' and employed_48h) - count(*) filter (where world_name = 'control' and employed_48h)
            as difference_employed_48h
    from synth_truth_person_month as months
    join levels using (person_no)
    group by levels.subgroup, levels.level, months.event_month
)
select
    level_persons.subgroup,
    level_persons.level,
    event_months.range::integer as event_month,
    level_persons.ips_persons::integer as ips_persons,
    round(coalesce(difference_employed_any, 0) / level_persons.ips_persons, 6) as att_employed_any,
    round(coalesce(difference_employed_48h, 0) / level_persons.ips_persons, 6) as att_employed_48h
from level_persons
cross join range(1, $follow_up_months + 1) as event_months
left join month_counts
    on month_counts.subgroup = level_persons.subgroup
    and month_counts.level = level_persons.level
    and month_counts.event_month = event_months.range
order by level_persons.subgroup, level_persons.level, event_month
