-- Potential first competitive job after the index date, in both worlds.
-- Common random numbers: one exponential draw per person is turned into a
-- start month through the cumulative job-finding hazard of each world. The
-- control hazard depends only on the study cells (job_log_hazard) and an
-- independent person-level frailty; IPS multiplies it in event month m by
-- 1 + b min(m, K) / K (b = extra_hazard_ratio, K = ramp_months), so the
-- IPS start month is never later and the effect grows over time. Start
-- day, duration, hours, wage and job type are the same in both worlds;
-- calibrated to an ATT on employed_48h of about +1 pp at month 6, +3 pp at
-- 12, +8 pp at 24 and +9 pp at 36 (over the observed IPS persons).
-- Grain: one row per person with a trajectory.
-- Reads: synth_person. Writes: synth_first_job.
create or replace table synth_first_job as
with
trajectory_persons as (
    select person_no, index_month, job_log_hazard from synth_person where has_trajectory
),
ips_effect as (
    select 1.95 as extra_hazard_ratio, 48 as ramp_months
),
-- Exponential draw scaled by the control hazard: the cumulative number of
-- control-world hazard-months until the first job.
needed as (
    select
        person_no,
        index_month,
        -ln(synth_uniform($seed, person_no, 'first-job'))
            / exp(job_log_hazard + 0.5 * synth_normal($seed, person_no, 'frailty')) as hazard_months
    from trajectory_persons
),
-- Invert S(x) = x + b x (x + 1) / (2K) for x <= K, and
-- S(x) = S(K) + (1 + b)(x - K) beyond: the IPS-world cumulative ratio.
inverted as (
    select
        needed.*,
        case
            when hazard_months <= ramp_months + extra_hazard_ratio * (ramp_months + 1) / 2 then
                (-(1 + extra_hazard_ratio / (2 * ramp_months))
                 + sqrt(pow(1 + extra_hazard_ratio / (2 * ramp_months), 2)
                        + 2 * extra_hazard_ratio / ramp_months * hazard_months))
                / (extra_hazard_ratio / ramp_months)
            else ramp_months
                + (hazard_months - ramp_months - extra_hazard_ratio * (ramp_months + 1) / 2) / (1 + extra_hazard_ratio)
        end as ips_months
    from needed, ips_effect
),
start_months as (
    select
        person_no,
        index_month,
        greatest(1, least(ceil(hazard_months), 600))::integer as control_start_event_month,
        greatest(1, least(ceil(ips_months), 600))::integer as ips_start_event_month,
        synth_uniform($seed, person_no, 'first-job-day') as start_day_draw
    from inverted
),
dated as (
    select
        *,
        (index_month + to_months(control_start_event_month))::date as control_month,
        (index_month + to_months(ips_start_event_month))::date as ips_month
    from start_months
),
described as (
    select
        person_no,
        control_start_event_month,
        ips_start_event_month,
        control_month + floor(start_day_draw * day(last_day(control_month)))::integer as control_start,
        ips_month + floor(start_day_draw * day(last_day(ips_month)))::integer as ips_start,
        case
            when synth_uniform($seed, person_no, 'first-job-length') < 0.2
                then synth_integer($seed, person_no, 'first-job-days', 60, 240)
            when synth_uniform($seed, person_no, 'first-job-length') < 0.55
                then synth_integer($seed, person_no, 'first-job-days', 241, 900)
            else synth_integer($seed, person_no, 'first-job-days', 901, 3600)
        end as job_days,
        case
            when synth_uniform($seed, person_no, 'first-job-small') < 0.15
                then 12 + 32 * synth_uniform($seed, person_no, 'first-job-hours')
            else 56 + 104 * synth_uniform($seed, person_no, 'first-job-hours')
        end as monthly_hours,
        11 + 14 * synth_uniform($seed, person_no, 'first-job-wage') as hourly_wage_eur,
        synth_competitive_job_type(synth_uniform($seed, person_no, 'first-job-type')) as job_type,
        synth_uniform($seed, person_no, 'second-job') < 0.08 as has_second_job
    from dated
)
select * from described
