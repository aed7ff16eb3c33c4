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
-- Grain: one row per event month 1..$follow_up_months.
-- Reads: synth_person, synth_payroll_period. Writes: synth_truth_month.
create or replace table synth_truth_month as
with
treated as (
    select person_no, index_month
    from synth_person
    where programme = 'IPS'
      and index_date between $index_from::date and $index_to::date
      and age_at_index between $min_age and $max_age
      and list_contains($qualifying_benefit_types, benefit_type)
),
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
),
month_counts as (
    select
        event_month,
        count(*) filter (where world_name = 'ips' and employed_any) as ips_employed_any,
        count(*) filter (where world_name = 'control' and employed_any) as control_employed_any,
        count(*) filter (where world_name = 'ips' and employed_48h) as ips_employed_48h,
        count(*) filter (where world_name = 'control' and employed_48h) as control_employed_48h
    from person_months
    group by event_month
),
event_months as (
    select range as event_month from range(1, $follow_up_months + 1)
),
treated_count as (
    select count(*) as ips_persons from treated
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
select * from effects
