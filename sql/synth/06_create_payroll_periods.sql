-- Payroll periods of every job, as in the Polis wage register.
-- An employer pays either per calendar month (periods cut to the job's first
-- and last day) or per four weeks (28-day periods from the job start, the
-- last one cut at the job end). Hours per period follow the job's monthly
-- hours in proportion to days (a four-week period is 12/13 of a month), with
-- +-5% noise; wage = hours x hourly wage. Both are rounded to cents.
-- period_key = job_no * 256 + period_seq keeps keys unique and ordered.
-- The rows are stored in synth_job's order (observed first, then period_key
-- order): a scan of that one table, expressions and WHERE keep the rows'
-- order (DuckDB's documented order preservation, preserve_insertion_order
-- on, its default), and so does UNNEST (an order-keeping insert,
-- BATCH_CREATE_TABLE_AS; test/synth compares the files of 1 and 4 threads).
-- job_id and employer_id are the pseudonyms of job_no and employer_no,
-- person_id the person's. A period's own pseudonym, period_id, is made for
-- the delivered rows alone (sql/synth/10): 25.7 M strings fewer stored at
-- 1,000,000 persons (this statement 16.6 -> 12.9 s of CPU, one pair).
-- The employment register covers months from $employment_coverage_from on:
-- periods ending before it are not in the world's data; a period that
-- straddles its start is kept whole (so its first covered month is complete).
-- Grain: one row per job x payroll period.
-- Reads: synth_job. Writes: synth_payroll_period.
create or replace table synth_payroll_period as
with
jobs as (
    select
        *,
        synth_uniform($seed, employer_no, 'four-weekly') < 0.3 as is_four_weekly,
        -- once per job, not per period
        synth_pseudonym('J', $seed, job_no) as job_id,
        synth_pseudonym('E', $seed, employer_no) as employer_id
    from synth_job
),
counted as (
    select
        *,
        -- months since year 0 of the job's first month: a period's month is made from integers, not a date plus an
        -- interval cast back to a date (25.7 M periods at 1,000,000 persons: the statement 9.0 -> 7.0-7.9 s)
        year(job_start) * 12 + month(job_start) - 1 as first_month_index,
        case
            when is_four_weekly then ((job_end - job_start) // 28 + 1)
            else datediff('month', job_start, job_end) + 1
        end as period_count
    from jobs
),
expanded as (
    select *, unnest(range(period_count)) as period_seq from counted
),
bounded as (
    select
        *,
        case
            when is_four_weekly then job_start + (28 * period_seq)::integer
            else greatest(job_start, month_start)
        end as period_start,
        case
            when is_four_weekly then least(job_start + (28 * period_seq + 27)::integer, job_end)
            else least(last_day(month_start), job_end)
        end as period_end
    from (
        select *, make_date((first_month_index + period_seq) // 12, (first_month_index + period_seq) % 12 + 1, 1) as month_start
        from expanded
    )
),
paid as (
    select
        person_no,
        person_id,
        job_no * 256 + period_seq as period_key,
        job_id,
        employer_id,
        world,
        is_observed,
        job_type,
        period_start,
        period_end,
        round(
            monthly_hours
            * if(is_four_weekly, 12 / 13 * (period_end - period_start + 1) / 28,
                 (period_end - period_start + 1) / day(last_day(period_start)))
            * (0.95 + 0.1 * synth_uniform($seed, job_no * 256 + period_seq, 'hours-noise')),
            2
        )::decimal(18, 2) as hours_paid,
        hourly_wage_eur
    from bounded
),
waged as (
    select
        * exclude (hourly_wage_eur),
        round(hours_paid * hourly_wage_eur, 2)::decimal(18, 2) as wage_eur
    from paid
    where period_end >= $employment_coverage_from::date
)
select * from waged
