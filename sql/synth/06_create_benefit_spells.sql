-- Benefit spells.
--   index spell   (slot 1) the spell ongoing at the index date, started
--                 benefit_months calendar months before the index month; it
--                 ends the day before an observed first job of >= 48 h/month
--                 starts (half of them), at some other later date, or is
--                 ongoing; a spell ending after the extract date is ongoing
--   older WW      (slot 2) a quarter of trajectory persons, ended before the
--                 index spell started
--   background    (slots 3, 4) persons without a trajectory
-- spell_no = person_no * 8 + slot keeps numbers unique and ordered by person;
-- spell_id is its pseudonym.
-- Grain: one row per spell.
-- Reads: synth_person, synth_job. Writes: synth_benefit_spell.
create or replace table synth_benefit_spell as
with
persons as (select * from synth_person),
-- The person's observed first post-index job (slot 5 or 7), if >= 48 h/month.
observed_first_jobs as (
    select person_no, job_start
    from synth_job
    where is_observed and job_no % 16 in (5, 7) and monthly_hours >= 48
),
monthly_amounts (benefit_type, low_eur, high_eur) as (
    values
        ('ZW', 1200, 2200), ('WGA', 1200, 2200), ('IVA', 1500, 2600), ('WAJONG', 1100, 1400),
        ('WAO', 1000, 2200), ('WW', 900, 2400), ('BIJSTAND', 1000, 1400)
),
index_spells as (
    select
        person_no,
        1 as slot,
        benefit_type,
        benefit_start as start_date,
        case
            when observed_first_jobs.job_start is not null
                 and synth_uniform($seed, person_no, 'benefit-ends-at-job') < 0.5
                then observed_first_jobs.job_start - 1
            when synth_uniform($seed, person_no, 'benefit-ends') < 0.35
                then index_date + synth_integer($seed, person_no, 'benefit-end-days', 90, 1800)
        end as end_date
    from persons
    left join observed_first_jobs using (person_no)
    where has_trajectory
),
older_ww_spells as (
    select
        person_no,
        2 as slot,
        'WW' as benefit_type,
        benefit_start - synth_integer($seed, person_no, 'older-ww-gap', 30, 365)
            - synth_integer($seed, person_no, 'older-ww-days', 60, 700) as start_date,
        benefit_start - synth_integer($seed, person_no, 'older-ww-gap', 30, 365) as end_date
    from persons
    where has_trajectory and synth_uniform($seed, person_no, 'older-ww') < 0.25
),
background_first_spells as (
    select
        person_no,
        3 as slot,
        case
            when synth_uniform($seed, person_no, 'background-benefit') < 0.50 then 'WW'
            when synth_uniform($seed, person_no, 'background-benefit') < 0.80 then 'BIJSTAND'
            when synth_uniform($seed, person_no, 'background-benefit') < 0.88 then 'ZW'
            when synth_uniform($seed, person_no, 'background-benefit') < 0.95 then 'WGA'
            when synth_uniform($seed, person_no, 'background-benefit') < 0.97 then 'WAJONG'
            when synth_uniform($seed, person_no, 'background-benefit') < 0.99 then 'IVA'
            else 'WAO'
        end as benefit_type,
        date '2009-01-01' + synth_integer($seed, person_no, 'background-benefit-start', 0, 3999) as start_date,
        case when synth_uniform($seed, person_no, 'background-benefit-ongoing') >= 0.2
            then date '2009-01-01' + synth_integer($seed, person_no, 'background-benefit-start', 0, 3999)
                + synth_integer($seed, person_no, 'background-benefit-days', 60, 1500)
        end as end_date
    from persons
    where not has_trajectory and synth_uniform($seed, person_no, 'background-benefit-none') >= 0.1
),
background_second_spells as (
    select
        person_no,
        4 as slot,
        if(synth_uniform($seed, person_no, 'background-second-type') < 0.6, 'WW', 'BIJSTAND') as benefit_type,
        end_date + synth_integer($seed, person_no, 'background-second-gap', 30, 400) as start_date,
        case when synth_uniform($seed, person_no, 'background-second-ongoing') >= 0.5
            then end_date + synth_integer($seed, person_no, 'background-second-gap', 30, 400)
                + synth_integer($seed, person_no, 'background-second-days', 60, 700)
        end as end_date
    from background_first_spells
    where end_date is not null and synth_uniform($seed, person_no, 'background-second') < 0.3
),
all_spells as (
    select * from index_spells
    union all select * from older_ww_spells
    union all select * from background_first_spells
    union all select * from background_second_spells
),
described as (
    select
        person_no,
        person_no * 8 + slot as spell_no,
        synth_pseudonym('S', $seed, person_no * 8 + slot) as spell_id,
        all_spells.benefit_type,
        start_date,
        if(end_date > $extract_date::date, null, end_date) as end_date,
        round(low_eur + (high_eur - low_eur) * synth_uniform($seed, person_no * 8 + slot, 'benefit-amount'), 2)
            ::decimal(18, 2) as monthly_amount_eur,
        if(all_spells.benefit_type in ('WW', 'BIJSTAND'), null,
           synth_incapacity_cause(synth_uniform($seed, person_no * 8 + slot, 'incapacity-cause'))) as incapacity_cause
    from all_spells
    join monthly_amounts using (benefit_type)
    where start_date <= $extract_date::date
)
select * from described
