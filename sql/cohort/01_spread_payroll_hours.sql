-- Spreads payroll periods over calendar months, competitive jobs only (not
-- $non_competitive_job_types).
-- Polis periods are a month or four weeks, so one period can straddle two
-- calendar months: hours and wages go to each month in proportion to the
-- period's days that fall in it. Each share is rounded to DECIMAL(18,4)
-- before summing so the sums are exact and independent of thread count.
-- Whether a month reaches the outcomes' hours thresholds ($min_hours_any,
-- $min_hours_48h: employed_any, employed_48h) is decided here, exactly, never
-- on rounded hours: the month's hours are summed in units of 1 / (10^6 x
-- lcm(1..31)) hour (hours_paid has at most 6 decimals and a period at most 31
-- days) and compared with at_least_hours(units, threshold).
-- A period's share takes the units of one of its days, an integer since
-- lcm(1..31) divides by the period's days, times its days in the month:
-- the same units as dividing after, without a HUGEINT division per row
-- (which costs DuckDB about 25 times a multiplication).
-- The two decisions are stored, not the units: the panel, the cohort's prior
-- work and monitoring read nothing else of them, and a HUGEINT per row was
-- 16 bytes to hold, compress and read back (at 1,000,000 persons, 16.1 M
-- rows: the statement with the run catalog's checkpoint after it 18.6 and
-- 20.5 s with the units, 17.7 and 14.7 s with the decisions; the checkpoint
-- 3.3-4.3 -> 1.2 s).
-- Grain: one row per person_id x calendar month with paid competitive work.
-- Reads: employment_periods, trajectories. Writes: person_month_work.
create or replace macro hour_units(hours, days := 1) as (hours * 1000000)::hugeint * (72201776446800 // days);

create or replace macro at_least_hours(units, hours) as units >= hour_units(hours);

-- The two DECIMAL(38, 4) sums are stored uncompressed: DuckDB's bit-packing of 128-bit values is slow to read back
-- (at 1,000,000 persons a scan of both took 7.5-8.1 s of CPU bit-packed, 0.1-0.7 s uncompressed; the cohort's 05
-- 5.2-6.6 -> 3.4-3.9 s, the panel 38.6-41.8 -> 35.1-36.1 s; writing them took the same time, and they take about
-- 0.4 GB more).
create or replace table person_month_work (
    person_id varchar,
    calendar_month date,
    competitive_hours decimal(38, 4) using compression uncompressed,
    employed_any boolean,
    employed_48h boolean,
    wage_eur decimal(38, 4) using compression uncompressed
);
insert into person_month_work
with
periods as (
    select
        person_id,
        period_start,
        period_end,
        hours_paid,
        wage_eur,
        (period_end - period_start + 1) as period_days
    from employment_periods
    where not list_contains($non_competitive_job_types, job_type)
        and person_id in (select person_id from trajectories)
),
period_months as (
    select
        periods.*,
        unnest(generate_series(date_trunc('month', period_start), date_trunc('month', period_end), interval 1 month))::date
            as calendar_month
    from periods
),
shares as (
    select
        person_id,
        calendar_month,
        least(period_end, last_day(calendar_month)) - greatest(period_start, calendar_month) + 1 as overlap_days,
        period_days,
        hours_paid,
        wage_eur
    from period_months
),
month_totals as (
    select
        person_id,
        calendar_month,
        sum((hours_paid * overlap_days / period_days)::decimal(18, 4)) as competitive_hours,
        sum(hour_units(hours_paid, days := period_days) * overlap_days) as month_units,
        sum((wage_eur * overlap_days / period_days)::decimal(18, 4)) as wage_eur
    from shares
    group by person_id, calendar_month
)
select
    person_id,
    calendar_month,
    competitive_hours,
    at_least_hours(month_units, $min_hours_any) as employed_any,
    at_least_hours(month_units, $min_hours_48h) as employed_48h,
    wage_eur
from month_totals
-- stored in person order: the panel reads it one chunk of persons at a time, and DuckDB's zone maps then skip
-- the other persons' rows instead of scanning the table once per chunk
order by person_id, calendar_month
