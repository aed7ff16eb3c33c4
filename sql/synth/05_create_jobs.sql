-- All jobs, tagged with the world they belong to.
--   shared   the same in both worlds: pre-index jobs (whole calendar months
--            within the 24 months before the index month, covering exactly
--            prior_work_months of the 12 months before it, >= 20 hours in
--            every covered month), a small second job inside one, sheltered
--            and intern jobs, and the jobs of background persons
--   control  first post-index job (and a small second job) without IPS
--   ips      the same under IPS; only for persons whose first trajectory is IPS
-- A job is observed when it is shared or belongs to the person's own world.
-- job_no = person_no * 16 + slot keeps numbers unique and ordered by person.
-- The table is stored observed jobs first, each part in job_no order: the
-- order sql/synth/06 and 10 keep, so the payroll files need no sort when
-- written, and 10's filter on is_observed passes whole row groups (DuckDB
-- merges the smaller batches of an order-keeping insert, a copy more: 10's
-- payroll statement 12.3 -> 9.7-10.1 s of CPU at 1,000,000 persons).
-- Jobs end at the extract date, the death date or the emigration date,
-- whichever comes first; jobs starting after it are dropped.
-- Grain: one row per job.
-- Reads: synth_person, synth_first_job, synth_life_event. Writes: synth_job.
create or replace table synth_job as
with
persons as (select * from synth_person),
first_jobs as (select * from synth_first_job),
employer_pool as (
    select greatest(50, $persons::bigint // 20) as competitive_employers
),
-- Pre-index job: k > 0 months in the 12 months before the index month, ending
-- g >= 1 months before it; when it reaches month -12 it may reach further
-- back, up to month -24. With k = 0, a quarter had a job in months -24..-13.
pre_index_shape as (
    select
        person_no,
        index_month,
        prior_work_months as k,
        case when prior_work_months > 0
            then synth_integer($seed, person_no, 'pre-job-gap', 1, 13 - prior_work_months)
        end as gap_months,
        synth_integer($seed, person_no, 'pre-job-extra', 0, 12) as extra_months,
        synth_integer($seed, person_no, 'old-job-months', 1, 12) as old_months
    from persons
    where has_trajectory
      and (prior_work_months > 0 or synth_uniform($seed, person_no, 'old-job') < 0.25)
),
pre_index_span as (
    select
        person_no,
        index_month,
        case when k > 0 then gap_months
             else synth_integer($seed, person_no, 'old-job-gap', 13, 25 - old_months) end as end_offset,
        case when k = 0 then old_months
             when gap_months + k - 1 = 12 then k + extra_months
             else k end as length_months
    from pre_index_shape
),
pre_index_jobs as (
    select
        person_no,
        1 as slot,
        'shared' as world,
        synth_competitive_job_type(synth_uniform($seed, person_no, 'pre-job-type')) as job_type,
        (index_month - to_months(end_offset + length_months - 1))::date as job_start,
        last_day((index_month - to_months(end_offset))::date) as job_end,
        24 + 136 * synth_uniform($seed, person_no, 'pre-job-hours') as monthly_hours,
        11 + 14 * synth_uniform($seed, person_no, 'pre-job-wage') as hourly_wage_eur
    from pre_index_span
),
-- A small second job strictly inside the pre-index job: adds hours, never months.
pre_index_second_jobs as (
    select
        person_no,
        2 as slot,
        'shared' as world,
        if(synth_uniform($seed, person_no, 'pre-second-type') < 0.5, 'ON_CALL', 'REGULAR') as job_type,
        job_start + floor(0.45 * (job_end - job_start) * synth_uniform($seed, person_no, 'pre-second-start'))::integer
            as job_start,
        job_end - floor(0.45 * (job_end - job_start) * synth_uniform($seed, person_no, 'pre-second-end'))::integer
            as job_end,
        8 + 22 * synth_uniform($seed, person_no, 'pre-second-hours') as monthly_hours,
        11 + 8 * synth_uniform($seed, person_no, 'pre-second-wage') as hourly_wage_eur
    from pre_index_jobs
    where synth_uniform($seed, person_no, 'pre-second') < 0.1
),
-- Sheltered work (5% of trajectory persons) and internships (1.5%), the same
-- in both worlds. Per kind: the start is the index date plus (direction 1)
-- or minus (-1) an offset drawn from offset_low..offset_high days (sheltered
-- work: from 3 years before to 1 year after the index date); the job lasts
-- days_low..days_high days; monthly hours are hours_low + hours_spread x a
-- uniform draw, the hourly wage likewise.
side_job_kinds (
    slot, job_type, stream, share, direction, offset_low, offset_high, days_low, days_high,
    hours_low, hours_spread, wage_low, wage_spread
) as (
    values
        (3, 'SHELTERED', 'sheltered', 0.05, -1, -365, 1095, 180, 1800, 60, 70, 11, 3),
        (4, 'INTERN', 'intern', 0.015, 1, 30, 730, 60, 180, 40, 80, 5, 4)
),
side_job_starts as (
    select
        persons.person_no,
        kinds.*,
        persons.index_date
            + kinds.direction * synth_integer($seed, persons.person_no, kinds.stream || '-start', kinds.offset_low,
                                              kinds.offset_high) as job_start
    from persons
    join side_job_kinds as kinds
        on persons.has_trajectory and synth_uniform($seed, persons.person_no, kinds.stream) < kinds.share
),
side_jobs as (
    select
        person_no,
        slot,
        'shared' as world,
        job_type,
        job_start,
        job_start + synth_integer($seed, person_no, stream || '-days', days_low, days_high) as job_end,
        hours_low + hours_spread * synth_uniform($seed, person_no, stream || '-hours') as monthly_hours,
        wage_low + wage_spread * synth_uniform($seed, person_no, stream || '-wage') as hourly_wage_eur
    from side_job_starts
),
first_job_worlds as (
    select first_jobs.*, 'control' as world, 5 as slot, control_start as job_start
    from first_jobs
    union all
    select first_jobs.*, 'ips' as world, 7 as slot, ips_start as job_start
    from first_jobs
    join persons using (person_no)
    where persons.programme = 'IPS'
),
first_post_index_jobs as (
    select
        person_no, slot, world, job_type, job_start,
        job_start + job_days - 1 as job_end,
        monthly_hours, hourly_wage_eur
    from first_job_worlds
),
-- A small second job inside the first post-index job, in each world.
second_post_index_jobs as (
    select
        person_no,
        slot + 1 as slot,
        world,
        if(synth_uniform($seed, person_no, 'post-second-type') < 0.5, 'ON_CALL', 'REGULAR') as job_type,
        job_start + floor(0.4 * job_days * synth_uniform($seed, person_no, 'post-second-start'))::integer as job_start,
        job_start + floor(0.4 * job_days * synth_uniform($seed, person_no, 'post-second-start'))::integer
            + floor(job_days * (0.1 + 0.4 * synth_uniform($seed, person_no, 'post-second-length')))::integer as job_end,
        8 + 22 * synth_uniform($seed, person_no, 'post-second-hours') as monthly_hours,
        11 + 8 * synth_uniform($seed, person_no, 'post-second-wage') as hourly_wage_eur
    from first_job_worlds
    where has_second_job
),
background_jobs as (
    select
        person_no,
        9 as slot,
        'shared' as world,
        case
            when synth_uniform($seed, person_no, 'background-job-type') < 0.06 then 'SHELTERED'
            when synth_uniform($seed, person_no, 'background-job-type') < 0.08 then 'INTERN'
            else synth_competitive_job_type(synth_uniform($seed, person_no, 'background-job-competitive-type'))
        end as job_type,
        date '2009-01-01' + synth_integer($seed, person_no, 'background-job-start', 0, 4379) as job_start,
        date '2009-01-01' + synth_integer($seed, person_no, 'background-job-start', 0, 4379)
            + synth_integer($seed, person_no, 'background-job-days', 90, 1800) as job_end,
        12 + 148 * synth_uniform($seed, person_no, 'background-job-hours') as monthly_hours,
        11 + 14 * synth_uniform($seed, person_no, 'background-job-wage') as hourly_wage_eur
    from persons
    where not has_trajectory and synth_uniform($seed, person_no, 'background-job') < 0.55
),
all_jobs as (
    select * from pre_index_jobs
    union all select * from pre_index_second_jobs
    union all select * from side_jobs
    union all select * from first_post_index_jobs
    union all select * from second_post_index_jobs
    union all select * from background_jobs
),
numbered_jobs as (
    select
        *,
        person_no * 16 + slot as job_no,
        -- The IPS-world jobs (slots 7, 8) have the employer of their control twins (5, 6).
        person_no * 16 + if(slot in (7, 8), slot - 2, slot) as employer_entity
    from all_jobs
),
-- Sheltered work has its own employers (one per region); others share a pool.
employed as (
    select
        numbered_jobs.*,
        case
            when job_type = 'SHELTERED' then competitive_employers + synth_integer($seed, employer_entity, 'employer', 1, 35)
            else synth_integer($seed, employer_entity, 'employer', 1, competitive_employers)
        end as employer_no,
        world = 'shared' or world = if(persons.programme = 'IPS', 'ips', 'control') as is_observed,
        persons.person_id
    from numbered_jobs
    join persons using (person_no)
    cross join employer_pool
),
life_events as (select person_no, death_date, emigration_date from synth_life_event),
cut as (
    select
        person_no, person_id, job_no, world, is_observed, job_type, employer_no,
        job_start, least(job_end, $extract_date::date, death_date, emigration_date) as job_end,
        monthly_hours, hourly_wage_eur
    from employed
    join life_events using (person_no)
    where job_start <= least($extract_date::date, death_date, emigration_date)
)
select * from cut
order by is_observed desc, job_no
