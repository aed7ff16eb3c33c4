-- Everyone with an IPS or TVR trajectory, with the facts the population
-- rules need; an empty list parameter means no restriction. The index date is the start of the first trajectory (ties:
-- earliest start, then trajectory_id); the arm is that trajectory's programme.
-- The follow-up is observed when its last month ($months_after after the
-- index month) is complete in the newest employment and benefit extracts
-- (the month before each extract date, or its month when the date is a
-- month's last day); the older of the two bounds it.
-- Grain: one row per person_id with at least one accepted trajectory.
-- Reads: persons, trajectories, benefit_spells, ingested_files. Writes: cohort_candidates.
create or replace table cohort_candidates as
with
ranked_trajectories as (
    select
        *,
        row_number() over (partition by person_id order by start_date, trajectory_id) as trajectory_rank,
        count(distinct programme) over (partition by person_id) as programme_count
    from trajectories
),
first_trajectory as (
    select * exclude (trajectory_rank) from ranked_trajectories where trajectory_rank = 1
),
with_person as (
    select
        first_trajectory.person_id,
        first_trajectory.programme,
        first_trajectory.start_date as index_date,
        date_trunc('month', first_trajectory.start_date)::date as index_month,
        first_trajectory.provider_id,
        first_trajectory.funder,
        first_trajectory.target_group,
        first_trajectory.cost_eur as trajectory_cost_eur,
        first_trajectory.programme_count > 1 as had_both_programmes,
        persons.birth_year,
        persons.sex,
        persons.region,
        year(first_trajectory.start_date) - persons.birth_year as age_at_index
    from first_trajectory
    join persons using (person_id)
),
qualifying_spells as (
    select
        with_person.person_id,
        spells.benefit_type,
        spells.start_date as benefit_start_date,
        spells.incapacity_cause,
        row_number() over (
            partition by with_person.person_id order by spells.start_date desc, spells.spell_id
        ) as spell_rank
    from with_person
    join benefit_spells as spells
        on spells.person_id = with_person.person_id
        and spells.start_date <= with_person.index_date
        and (spells.end_date is null or spells.end_date >= with_person.index_date)
        and list_contains($qualifying_benefits, spells.benefit_type)
        and (len($incapacity_causes) = 0 or list_contains($incapacity_causes, spells.incapacity_cause))
),
index_spell as (
    select * exclude (spell_rank) from qualifying_spells where spell_rank = 1
),
observed as (
    select min(last_complete_month) as last_observed_month
    from (
        select extract, (date_trunc('month', max(extract_date) + 1) - interval 1 month)::date as last_complete_month
        from ingested_files
        where extract in ('employment_periods', 'benefit_spells')
        group by extract
    )
),
flagged as (
    select
        with_person.*,
        index_spell.benefit_type,
        index_spell.incapacity_cause,
        date_diff('month', index_spell.benefit_start_date, with_person.index_date) as benefit_duration_months,
        with_person.programme in ($treated, $control) as is_study_programme,
        with_person.index_date between $index_from::date and $index_to::date as is_in_index_window,
        with_person.age_at_index between $age_min and $age_max as is_eligible_age,
        index_spell.benefit_type is not null as is_on_qualifying_benefit,
        len($target_groups) = 0 or coalesce(list_contains($target_groups, with_person.target_group), false)
            as is_in_target_group,
        not (with_person.had_both_programmes and $exclude_both_programmes) as is_kept_for_programmes,
        with_person.index_month + to_months($months_after) <= observed.last_observed_month as is_followed_up
    from with_person
    left join index_spell using (person_id)
    cross join observed
)
select * from flagged
