-- Everyone with an IPS or TVR trajectory, with the facts the population
-- rules need, each known at the index date (no hindsight); an empty list
-- parameter means no restriction.
-- Index date: the start of the person's first trajectory. Arm: its
-- programme; when trajectories of both programmes start that day, the arm is
-- $treated if $same_day_rule = 'treated', else the person is left out
-- (is_single_programme_at_index). The first trajectory's provider, funder,
-- target group and cost come from an index-day trajectory of the arm's
-- programme (ties: by those values, then trajectory_id).
-- Both-programmes rule: a trajectory of the other programme that started
-- before the index date; later trajectories never decide the arm. A control
-- who starts the treated programme later has its first start date in
-- crossover_date.
-- Benefit at index: the qualifying spell ongoing at the index date (latest
-- start, then benefit type in contract order, then spell_id); its type and
-- incapacity cause; the benefit duration runs from the start of its episode
-- (sql/cohort/03).
-- Coverage: the months from $lookback_months before the index month to
-- $months_after after it lie inside one span of the employment and one of
-- the benefit extract (coverage_spans).
-- At the index date the person is alive, resident and below state-pension
-- age (the month they reach it, state_pension_month, is after the index month).
-- Grain: one row per person_id with at least one accepted trajectory.
-- Reads: persons, trajectories, qualifying_spell_episodes, coverage_spans,
-- state_pension_month. Writes: cohort_candidates.
create or replace table cohort_candidates as
with
first_starts as (
    select person_id, min(start_date) as index_date from trajectories group by person_id
),
index_day as (
    select
        trajectories.*,
        count(distinct trajectories.programme) over (partition by trajectories.person_id) as programmes_at_index
    from trajectories
    join first_starts
        on first_starts.person_id = trajectories.person_id and trajectories.start_date = first_starts.index_date
),
arms as (
    select
        person_id,
        any_value(programmes_at_index) as programmes_at_index,
        case
            when any_value(programmes_at_index) = 1 then any_value(programme)
            when $same_day_rule = 'treated' then $treated
        end as programme
    from index_day
    group by person_id
),
first_trajectory as (
    select index_day.* exclude (programmes_at_index)
    from index_day
    join arms using (person_id)
    where index_day.programme = coalesce(arms.programme, $treated)
    qualify row_number() over (
        partition by index_day.person_id
        order by index_day.provider_id, index_day.funder, index_day.target_group nulls last, index_day.cost_eur nulls last,
            index_day.end_date nulls last, index_day.trajectory_id
    ) = 1
),
other_programmes as (
    select
        first_trajectory.person_id,
        bool_or(later.start_date < first_trajectory.start_date and later.programme <> first_trajectory.programme)
            as had_other_programme_before_index,
        min(later.start_date) filter (
            where later.start_date > first_trajectory.start_date and later.programme = $treated and first_trajectory.programme <> $treated
        ) as crossover_date
    from first_trajectory
    join trajectories as later using (person_id)
    group by first_trajectory.person_id
),
with_person as (
    select
        first_trajectory.person_id,
        arms.programme,
        arms.programmes_at_index,
        first_trajectory.start_date as index_date,
        date_trunc('month', first_trajectory.start_date)::date as index_month,
        first_trajectory.provider_id,
        first_trajectory.funder,
        first_trajectory.target_group,
        first_trajectory.cost_eur as trajectory_cost_eur,
        other_programmes.had_other_programme_before_index,
        other_programmes.crossover_date,
        persons.birth_year,
        persons.sex,
        persons.region,
        persons.death_date,
        persons.emigration_date,
        pension.state_pension_month,
        year(first_trajectory.start_date) - persons.birth_year as age_at_index
    from first_trajectory
    join arms using (person_id)
    join other_programmes using (person_id)
    join persons using (person_id)
    left join state_pension_month as pension
        on pension.birth_year = persons.birth_year and pension.birth_month = coalesce(persons.birth_month, 1)
),
index_spell as (
    select
        with_person.person_id,
        spells.benefit_type,
        spells.incapacity_cause,
        spells.episode_start
    from with_person
    join qualifying_spell_episodes as spells
        on spells.person_id = with_person.person_id
        and spells.start_date <= with_person.index_date
        and (spells.end_date is null or spells.end_date >= with_person.index_date)
        and (len($incapacity_causes) = 0 or list_contains($incapacity_causes, spells.incapacity_cause))
    qualify row_number() over (
        partition by with_person.person_id
        order by spells.start_date desc, list_position($benefit_type_order, spells.benefit_type), spells.spell_id
    ) = 1
),
windows as (
    select
        person_id,
        (index_month - to_months($lookback_months))::date as window_from,
        (index_month + to_months($months_after))::date as window_to
    from with_person
),
covered as (
    select
        windows.person_id,
        count(distinct spans.extract) = 2 as is_in_coverage
    from windows
    left join coverage_spans as spans
        on spans.extract in ('employment_periods', 'benefit_spells')
        and spans.span_from <= windows.window_from
        and spans.span_to >= windows.window_to
    group by windows.person_id
),
flagged as (
    select
        with_person.*,
        index_spell.benefit_type,
        index_spell.incapacity_cause,
        index_spell.episode_start as benefit_episode_start,
        date_diff('month', index_spell.episode_start, with_person.index_date) as benefit_duration_months,
        coalesce(with_person.programme, $treated) in ($treated, $control) as is_study_programme,
        with_person.programme is not null as is_single_programme_at_index,
        with_person.index_date between $index_from::date and $index_to::date as is_in_index_window,
        covered.is_in_coverage,
        (with_person.death_date is null or with_person.death_date > with_person.index_date)
            and (with_person.emigration_date is null or with_person.emigration_date > with_person.index_date)
            and coalesce(with_person.state_pension_month > with_person.index_month, false) as is_present_at_index,
        not ($state_pension_rule = 'exclude'
            and coalesce(with_person.state_pension_month <= with_person.index_month + to_months($months_after), true))
            as is_kept_for_state_pension,
        with_person.age_at_index between $age_min and $age_max as is_eligible_age,
        index_spell.benefit_type is not null as is_on_qualifying_benefit,
        len($target_groups) = 0 or coalesce(list_contains($target_groups, with_person.target_group), false)
            as is_in_target_group,
        not (with_person.had_other_programme_before_index and $exclude_both_programmes) as is_kept_for_programmes
    from with_person
    left join index_spell using (person_id)
    join covered using (person_id)
)
select * from flagged
order by person_id
