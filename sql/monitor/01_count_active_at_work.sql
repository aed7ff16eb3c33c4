-- Programme monitoring as IPS programmes report it: of the persons in an
-- active trajectory of the treated programme at the end of a quarter, how
-- many are at work (>= $min_hours_any competitive hours in the quarter's last
-- month). All accepted trajectories count, not only the study cohort.
-- provider_id 'all' is the programme as a whole (each person once).
-- Grain: one row per calendar quarter x provider_id (and 'all').
-- Reads: trajectories, person_month_work. Writes: monitoring_quarter_provider.
create or replace table monitoring_quarter_provider as
with
programme as (
    select person_id, provider_id, start_date, end_date
    from trajectories
    where programme = $treated
),
quarters as (
    select unnest(generate_series(
        date_trunc('quarter', (select min(start_date) from programme)),
        date_trunc('quarter', (select max(coalesce(end_date, start_date)) from programme)),
        interval 3 month
    ))::date as quarter_start
),
active as (
    select distinct
        quarters.quarter_start,
        programme.provider_id,
        programme.person_id,
        (quarters.quarter_start + interval 2 month)::date as last_month
    from quarters
    join programme
        on programme.start_date <= last_day(quarters.quarter_start + interval 2 month)
        and (programme.end_date is null or programme.end_date >= last_day(quarters.quarter_start + interval 2 month))
),
counted as (
    select
        strftime(active.quarter_start, '%Y') || '-Q' || quarter(active.quarter_start)::varchar as quarter,
        active.provider_id,
        count(distinct active.person_id) as persons_active,
        count(distinct active.person_id) filter (where work.competitive_hours >= $min_hours_any) as persons_at_work
    from active
    left join person_month_work as work
        on work.person_id = active.person_id and work.calendar_month = active.last_month
    group by grouping sets ((active.quarter_start, active.provider_id), (active.quarter_start))
)
select quarter, coalesce(provider_id, 'all') as provider_id, persons_active, persons_at_work,
    round(persons_at_work / persons_active, 10) as share_at_work
from counted
order by quarter, provider_id
