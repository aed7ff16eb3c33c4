-- The study cohort: candidates passing every population rule, with the
-- baseline covariates and their coarsened bands for exact matching.
-- Prior work counts calendar months with >= $min_hours_any competitive hours
-- among the 12 (24) months before the index month.
-- Grain: one row per person_id in the cohort.
-- Reads: cohort_candidates, person_month_work. Writes: cohort.
create or replace table cohort as
with
eligible as (
    select *
    from cohort_candidates
    where is_study_programme and is_in_index_window and is_followed_up and is_eligible_age and is_on_qualifying_benefit
        and is_in_target_group and is_kept_for_programmes
),
prior_work as (
    select
        eligible.person_id,
        count(*) filter (
            where work.calendar_month >= eligible.index_month - interval 12 month
            and work.competitive_hours >= $min_hours_any
        ) as months_worked_12m,
        count(*) filter (where work.competitive_hours >= $min_hours_any) as months_worked_24m,
        coalesce(sum(work.wage_eur) filter (where work.calendar_month >= eligible.index_month - interval 12 month), 0)
            as wage_eur_12m,
        coalesce(sum(work.wage_eur), 0) as wage_eur_24m
    from eligible
    join person_month_work as work
        on work.person_id = eligible.person_id
        and work.calendar_month >= eligible.index_month - interval 24 month
        and work.calendar_month < eligible.index_month
    group by eligible.person_id
),
with_covariates as (
    select
        eligible.person_id,
        eligible.programme as arm,
        (eligible.programme = $treated)::integer as treated,
        eligible.index_date,
        eligible.index_month,
        year(eligible.index_date)::varchar as index_year,
        eligible.age_at_index,
        eligible.sex,
        coalesce(eligible.region, 'unknown') as region,
        eligible.benefit_type,
        eligible.benefit_duration_months,
        coalesce(eligible.incapacity_cause, 'unknown') as incapacity_cause,
        coalesce(eligible.target_group, 'unknown') as target_group,
        eligible.funder,
        eligible.provider_id,
        eligible.trajectory_cost_eur,
        coalesce(prior_work.months_worked_12m, 0) as months_worked_12m,
        coalesce(prior_work.months_worked_24m, 0) as months_worked_24m,
        coalesce(prior_work.wage_eur_12m, 0)::decimal(18, 2) as wage_eur_12m,
        coalesce(prior_work.wage_eur_24m, 0)::decimal(18, 2) as wage_eur_24m
    from eligible
    left join prior_work using (person_id)
),
banded as (
    select
        *,
        band_label(age_at_index, $age_band_starts) as age_band,
        band_label(benefit_duration_months, $benefit_duration_band_starts) as benefit_duration_band,
        band_label(months_worked_12m, $prior_work_band_starts) as prior_work_band
    from with_covariates
)
select * from banded
order by person_id
