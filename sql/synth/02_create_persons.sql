-- Synthetic persons with their latent study cells and programme.
-- 75% have a vocational trajectory: an index date (first trajectory start),
-- a qualifying benefit spell ongoing at it, and the coarse cells that drive
-- both selection into IPS and job finding:
--   age_band             index year - birth_year: 18-29, 30-39, 40-49, 50-66
--   sex                  M, F, X
--   benefit_type         type of the spell ongoing at the index date
--   benefit_months_band  datediff('month', episode start, index date), where
--                        the episode is the run of qualifying spells joined by
--                        gaps of <= 31 days (benefit_start; sql/synth/07 puts
--                        a ZW spell before the index spell for chains): 0-11,
--                        12-23, 24-59, 60+ (drawn 1-10, 13-22, 25-58, 61-180,
--                        so any month-counting convention gives the same band;
--                        never starting before age 17)
--   prior_work_band      calendar months with >= 1 competitive hour among the
--                        12 calendar months before the index month: 0, 1-6, 7-12
--   index_year
-- The other 25% are background persons without a trajectory.
-- Everyone has a true birth month and day (for the state-pension date); the
-- persons extract shows the birth month for about 90% (birth_month, else
-- null). age_at_index stays index year - birth_year.
-- Grain: one row per person. Reads: synth_cell_effect. Writes: synth_person.
create or replace table synth_person as
with
numbered as (
    select range + 1 as person_no from range($persons::bigint)
),
drawn as (
    select
        person_no,
        synth_pseudonym('P', $seed, person_no) as person_id,
        synth_uniform($seed, person_no, 'has-trajectory') < 0.75 as has_trajectory,
        synth_uniform($seed, person_no, 'index-window') as index_window_draw,
        synth_uniform($seed, person_no, 'age-band') as age_band_draw,
        synth_uniform($seed, person_no, 'sex') as sex_draw,
        synth_uniform($seed, person_no, 'benefit-type') as benefit_type_draw,
        synth_uniform($seed, person_no, 'benefit-months') as benefit_months_draw,
        synth_uniform($seed, person_no, 'prior-work') as prior_work_draw,
        synth_integer($seed, person_no, 'birth-month', 1, 12) as true_birth_month,
        -- Days 1-28 only: every month has them.
        synth_integer($seed, person_no, 'birth-day', 1, 28) as birth_day,
        synth_uniform($seed, person_no, 'birth-month-missing') >= 0.1 as is_birth_month_known,
        case
            when synth_uniform($seed, person_no, 'region-missing') >= 0.03
            then 'AMR' || lpad(synth_integer($seed, person_no, 'region', 1, 35)::varchar, 2, '0')
        end as region
    from numbered
),
demographics as (
    select
        *,
        case
            when sex_draw < 0.01 then 'X'
            when sex_draw < 0.53 then 'F'
            else 'M'
        end as sex,
        case
            when not has_trajectory then null
            when index_window_draw < 0.025 then date '2011-01-01' + synth_integer($seed, person_no, 'index-day', 0, 364)
            when index_window_draw < 0.05 then date '2017-01-01' + synth_integer($seed, person_no, 'index-day', 0, 364)
            else date '2012-01-01' + synth_integer($seed, person_no, 'index-day', 0, 1826)
        end as index_date,
        case
            when not has_trajectory then null
            when age_band_draw < 0.01 then 'under-18'
            when age_band_draw < 0.02 then 'over-66'
            when age_band_draw < 0.26 then '18-29'
            when age_band_draw < 0.49 then '30-39'
            when age_band_draw < 0.74 then '40-49'
            else '50-66'
        end as age_band
    from drawn
),
aged as (
    select
        *,
        date_trunc('month', index_date)::date as index_month,
        year(index_date) as index_year,
        case age_band
            when 'under-18' then synth_integer($seed, person_no, 'age', 16, 17)
            when 'over-66' then synth_integer($seed, person_no, 'age', 67, 69)
            when '18-29' then synth_integer($seed, person_no, 'age', 18, 29)
            when '30-39' then synth_integer($seed, person_no, 'age', 30, 39)
            when '40-49' then synth_integer($seed, person_no, 'age', 40, 49)
            when '50-66' then synth_integer($seed, person_no, 'age', 50, 66)
        end as age_at_index
    from demographics
),
born as (
    select
        *,
        coalesce(index_year - age_at_index, synth_integer($seed, person_no, 'birth-year', 1950, 2000)) as birth_year
    from aged
),
-- Benefit type at index: 3% on a non-qualifying WW/BIJSTAND spell; WAJONG is
-- common among the young.
on_benefit as (
    select
        *,
        case
            when not has_trajectory then null
            when benefit_type_draw < 0.02 then 'WW'
            when benefit_type_draw < 0.03 then 'BIJSTAND'
            when age_band in ('under-18', '18-29') then
                case
                    when benefit_type_draw < 0.03 + 0.97 * 0.45 then 'WAJONG'
                    when benefit_type_draw < 0.03 + 0.97 * 0.72 then 'ZW'
                    when benefit_type_draw < 0.03 + 0.97 * 0.96 then 'WGA'
                    else 'IVA'
                end
            else
                case
                    when benefit_type_draw < 0.03 + 0.97 * 0.45 then 'WGA'
                    when benefit_type_draw < 0.03 + 0.97 * 0.75 then 'ZW'
                    when benefit_type_draw < 0.03 + 0.97 * 0.82 then 'WAJONG'
                    when benefit_type_draw < 0.03 + 0.97 * 0.91 then 'IVA'
                    else 'WAO'
                end
        end as benefit_type
    from born
),
-- Duration band depends on the benefit type (ZW lasts at most two years, WAO
-- is an old scheme, WAJONG spells are long).
benefit_duration as (
    select
        *,
        case
            when benefit_type = 'ZW' then if(benefit_months_draw < 0.7, '0-11', '12-23')
            when benefit_type = 'WAO' then '60+'
            when benefit_type = 'WAJONG' then
                case when benefit_months_draw < 0.1 then '0-11' when benefit_months_draw < 0.2 then '12-23'
                     when benefit_months_draw < 0.45 then '24-59' else '60+' end
            when benefit_type in ('WGA', 'IVA') then
                case when benefit_months_draw < 0.15 then '0-11' when benefit_months_draw < 0.4 then '12-23'
                     when benefit_months_draw < 0.8 then '24-59' else '60+' end
            when benefit_type in ('WW', 'BIJSTAND') then
                case when benefit_months_draw < 0.6 then '0-11' when benefit_months_draw < 0.9 then '12-23'
                     else '24-59' end
        end as benefit_months_band
    from on_benefit
),
-- Nobody is on benefit before age 17: a band that would start earlier is
-- moved down to the longest one that fits.
benefit_capped as (
    select
        *,
        greatest(11, (age_at_index - 17) * 12) as max_benefit_months,
        case
            when benefit_months_band = '60+' and (age_at_index - 17) * 12 >= 61 then '60+'
            when benefit_months_band in ('60+', '24-59') and (age_at_index - 17) * 12 >= 25 then '24-59'
            when benefit_months_band in ('60+', '24-59', '12-23') and (age_at_index - 17) * 12 >= 13 then '12-23'
            when benefit_months_band is not null then '0-11'
        end as capped_band
    from benefit_duration
),
benefit_started as (
    select
        * exclude (benefit_months_band, capped_band, max_benefit_months),
        capped_band as benefit_months_band,
        case capped_band
            when '0-11' then synth_integer($seed, person_no, 'benefit-months-exact', 1, 10)
            when '12-23' then synth_integer($seed, person_no, 'benefit-months-exact', 13, least(22, max_benefit_months))
            when '24-59' then synth_integer($seed, person_no, 'benefit-months-exact', 25, least(58, max_benefit_months))
            when '60+' then synth_integer($seed, person_no, 'benefit-months-exact', 61, least(180, max_benefit_months))
        end as benefit_months
    from benefit_capped
),
-- Recent work is rarer the longer someone has been on benefit.
worked as (
    select
        *,
        (index_month - to_months(benefit_months))::date
            + synth_integer($seed, person_no, 'benefit-start-day', 0, 27) as benefit_start,
        case
            when not has_trajectory then null
            when prior_work_draw < case benefit_months_band when '0-11' then 0.45 when '12-23' then 0.6
                                                            when '24-59' then 0.7 else 0.8 end then '0'
            when prior_work_draw < case benefit_months_band when '0-11' then 0.75 when '12-23' then 0.85
                                                            when '24-59' then 0.9 else 0.95 end then '1-6'
            else '7-12'
        end as prior_work_band
    from benefit_started
),
work_counted as (
    select
        *,
        case prior_work_band
            when '0' then 0
            when '1-6' then synth_integer($seed, person_no, 'prior-work-months', 1, 6)
            when '7-12' then synth_integer($seed, person_no, 'prior-work-months', 7, 12)
        end as prior_work_months
    from worked
),
effects as (select * from synth_cell_effect),
scored as (
    select
        work_counted.*,
        intercept.ips_log_odds + age.ips_log_odds + sex.ips_log_odds + benefit.ips_log_odds
            + duration.ips_log_odds + work.ips_log_odds + year.ips_log_odds as ips_log_odds,
        intercept.job_log_hazard + age.job_log_hazard + sex.job_log_hazard + benefit.job_log_hazard
            + duration.job_log_hazard + work.job_log_hazard + year.job_log_hazard as job_log_hazard
    from work_counted
    left join effects as intercept on intercept.covariate = 'intercept'
    left join effects as age on age.covariate = 'age_band' and age.level = work_counted.age_band
    left join effects as sex on sex.covariate = 'sex' and sex.level = work_counted.sex
    left join effects as benefit on benefit.covariate = 'benefit_type' and benefit.level = work_counted.benefit_type
    left join effects as duration
        on duration.covariate = 'benefit_months_band' and duration.level = work_counted.benefit_months_band
    left join effects as work on work.covariate = 'prior_work_band' and work.level = work_counted.prior_work_band
    left join effects as year on year.covariate = 'index_year' and year.level = work_counted.index_year::varchar
),
assigned as (
    select
        *,
        case
            when not has_trajectory then null
            when synth_uniform($seed, person_no, 'programme') < 1 / (1 + exp(-ips_log_odds)) then 'IPS'
            else 'TVR'
        end as programme
    from scored
)
select
    person_no, person_id, has_trajectory, birth_year, sex, region,
    true_birth_month, birth_day, if(is_birth_month_known, true_birth_month, null) as birth_month,
    index_date, index_month, index_year, age_at_index, age_band,
    benefit_type, benefit_start, benefit_months, benefit_months_band,
    prior_work_months, prior_work_band, ips_log_odds, job_log_hazard, programme
from assigned
