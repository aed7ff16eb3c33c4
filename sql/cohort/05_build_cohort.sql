-- The study cohort: candidates passing every population rule, with the
-- baseline covariates and their coarsened bands for exact matching, and when
-- each person stops being observed.
-- Prior work counts calendar months with >= min_hours_any competitive hours
-- (person_month_work.employed_any) among the 12 (24) months before the index
-- month.
-- Censoring: the first follow-up month (0..$months_after) not observed, and
-- why: the month of death, of emigration, of reaching state-pension age or
-- (with $censor_control_at_treatment) of a control's start of the treated
-- programme; on the same month in that order. Null: observed throughout.
-- crossover_event_month: the month a control started the treated programme
-- (whether or not that censors).
-- Grain: one row per person_id in the cohort.
-- Reads: cohort_candidates, person_month_work. Writes: cohort.
create or replace table cohort as
with
eligible as (
    select *
    from cohort_candidates
    where is_study_programme and is_single_programme_at_index and is_in_index_window and is_in_coverage
        and is_present_at_index and is_kept_for_state_pension and is_eligible_age and is_on_qualifying_benefit
        and is_in_target_group and is_kept_for_programmes
),
prior_work as (
    select
        eligible.person_id,
        count(*) filter (
            where work.calendar_month >= eligible.index_month - interval 12 month
            and work.employed_any
        ) as months_worked_12m,
        count(*) filter (where work.employed_any) as months_worked_24m,
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
        coalesce(prior_work.wage_eur_24m, 0)::decimal(18, 2) as wage_eur_24m,
        date_diff('month', eligible.index_month, date_trunc('month', eligible.crossover_date))::integer as crossover_event_month,
        [
            {'reason': 'death', 'event_month': date_diff('month', eligible.index_month, date_trunc('month', eligible.death_date))},
            {'reason': 'emigration', 'event_month': date_diff('month', eligible.index_month, date_trunc('month', eligible.emigration_date))},
            {'reason': 'state_pension_age', 'event_month': date_diff('month', eligible.index_month, eligible.state_pension_month)},
            {'reason': 'started_treated_programme', 'event_month': case when $censor_control_at_treatment
                then date_diff('month', eligible.index_month, date_trunc('month', eligible.crossover_date)) end}
        ] as censoring_events
    from eligible
    left join prior_work using (person_id)
),
censored as (
    select
        * exclude (censoring_events),
        list_filter(censoring_events, event -> event.event_month <= $months_after) as within_follow_up
    from with_covariates
),
first_censoring as (
    select
        * exclude (within_follow_up),
        list_min([event.event_month for event in within_follow_up])::integer as censoring_event_month,
        [event.reason for event in within_follow_up if event.event_month = list_min([e.event_month for e in within_follow_up])][1]
            as censoring_reason
    from censored
),
banded as (
    select
        *,
        band_label(age_at_index, $age_band_starts) as age_band,
        band_label(benefit_duration_months, $benefit_duration_band_starts) as benefit_duration_band,
        band_label(months_worked_12m, $prior_work_band_starts) as prior_work_band
    from first_censoring
)
select * from banded
order by person_id
