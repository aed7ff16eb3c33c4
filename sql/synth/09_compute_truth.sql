-- The planted effect: the true ATT per event month, measured as the pipeline
-- measures it, over the IPS persons of the study population who are observed
-- in that month.
-- Population (synth_truth_candidate flags every trajectory person, both
-- programmes, as the pipeline sees the final extract): first trajectory IPS,
-- no trajectory of the other programme starting the same day, index date in
-- the window, age = index year - birth_year in range, on a qualifying spell
-- ongoing at the index date, alive and resident at the index date (death and
-- emigration dates shown in the extract empty or after it), state_pension_month
-- after the index date, and the months from $look_back_months before to
-- $follow_up_months after the index month inside the coverage of both the
-- employment and the benefit extract.
-- A person-month (calendar month M = index month + event month) is observed
-- when M is inside both coverages, the death and emigration dates are empty
-- or after the last day of M, and M is before state_pension_month. These are
-- the same in both worlds.
-- Outcomes per world, from the payroll periods and spells of that world:
-- competitive hours in M = sum over the payroll periods of non-sheltered,
-- non-intern jobs of hours_paid x (days of the period in M) / (days of the
-- period); employed_any = hours >= 1, employed_48h = hours >= 48; on_benefit
-- = a spell of a qualifying type on at least one day of M. Hours are summed
-- exactly in integer units: hundredths of an hour x days x (lcm(1..31) /
-- period days); payroll periods are at most 31 days.
-- Beside the ATT, each world's mean: the IPS world's is what the pipeline
-- measures for its IPS arm (the observed world of IPS persons).
-- The ATT per level of each subgroup the pipeline can report (target group,
-- funder, provider of the first trajectory).
-- Grain: synth_truth_candidate, one row per trajectory person;
-- synth_truth_month, one row per event month 1..$follow_up_months;
-- synth_truth_subgroup_month, one per subgroup x level x event month.
-- Reads: synth_person, synth_life_event, synth_trajectory, synth_benefit_spell,
-- synth_payroll_period.
-- Writes: synth_truth_candidate, synth_truth_month, synth_truth_subgroup_month.
create or replace table synth_truth_candidate as
with
persons as (select * from synth_person where has_trajectory),
-- As shown in the extract: dates after the extract date are not known yet.
life_events as (
    select
        person_no,
        if(death_date <= $extract_date::date, death_date, null) as death_date,
        if(emigration_date <= $extract_date::date, emigration_date, null) as emigration_date,
        state_pension_month
    from synth_life_event
),
trajectories as (select * from synth_trajectory),
first_trajectories as (select * from trajectories where trajectory_no % 8 = 1),
same_day_pairs as (
    select distinct first_trajectories.person_no
    from first_trajectories
    join trajectories as others
        on others.person_no = first_trajectories.person_no
        and others.start_date = first_trajectories.start_date
        and others.programme <> first_trajectories.programme
),
on_qualifying_benefit as (
    select distinct spells.person_no
    from synth_benefit_spell as spells
    join persons using (person_no)
    where spells.is_observed
      and list_contains($qualifying_benefit_types, spells.benefit_type)
      and spells.start_date <= persons.index_date
      and (spells.end_date is null or spells.end_date >= persons.index_date)
),
coverage as (
    select
        greatest($employment_coverage_from::date, $benefit_coverage_from::date) as covered_from,
        least($employment_coverage_to::date, $benefit_coverage_to::date) as covered_to
),
flagged as (
    select
        persons.person_no,
        first_trajectories.programme,
        persons.index_date,
        persons.index_month,
        life_events.death_date,
        life_events.emigration_date,
        life_events.state_pension_month,
        coalesce(first_trajectories.target_group, 'unknown') as target_group,
        first_trajectories.funder,
        first_trajectories.provider_id as provider,
        same_day_pairs.person_no is not null as is_same_day_pair,
        persons.index_date between $index_from::date and $index_to::date as is_in_index_window,
        persons.age_at_index between $min_age and $max_age as is_eligible_age,
        on_qualifying_benefit.person_no is not null as is_on_qualifying_benefit,
        (life_events.death_date is null or life_events.death_date > persons.index_date)
            and (life_events.emigration_date is null or life_events.emigration_date > persons.index_date)
            as is_alive_and_resident_at_index,
        life_events.state_pension_month > persons.index_date as is_below_state_pension_age,
        coverage.covered_from <= persons.index_month - to_months($look_back_months)
            and coverage.covered_to >= persons.index_month + to_months($follow_up_months) as is_covered
    from persons
    join first_trajectories using (person_no)
    join life_events using (person_no)
    left join same_day_pairs using (person_no)
    left join on_qualifying_benefit using (person_no)
    cross join coverage
)
select * from flagged;

create or replace temp table synth_truth_treated as
select person_no, index_month, death_date, emigration_date, state_pension_month, target_group, funder, provider
from synth_truth_candidate
where programme = 'IPS'
  and not is_same_day_pair
  and is_in_index_window
  and is_eligible_age
  and is_on_qualifying_benefit
  and is_alive_and_resident_at_index
  and is_below_state_pension_age
  and is_covered;

-- Both worlds in one row per person-month: a period or spell of the shared
-- world counts in both. One row per month, not one per world: at 1,000,000
-- persons 10.3 M -> 5.2 M rows, this statement 13.8 -> 7.7 s of CPU and the
-- two after it 3.6 -> 1.2.
create or replace temp table synth_truth_person_month as
with
treated as (select person_no, index_month, death_date, emigration_date, state_pension_month from synth_truth_treated),
observed_months as (
    select person_no, event_month, calendar_month
    from (
        select
            treated.*,
            range::integer as event_month,
            (treated.index_month + to_months(range))::date as calendar_month
        from treated
        cross join range(1, $follow_up_months + 1)
    )
    where calendar_month >= greatest($employment_coverage_from::date, $benefit_coverage_from::date)
      and calendar_month <= least($employment_coverage_to::date, $benefit_coverage_to::date)
      and (death_date is null or death_date > last_day(calendar_month))
      and (emigration_date is null or emigration_date > last_day(calendar_month))
      and calendar_month < state_pension_month
),
treated_periods as (
    select
        treated.person_no,
        treated.index_month,
        periods.world,
        periods.period_start,
        periods.period_end,
        periods.hours_paid
    from synth_payroll_period as periods
    join treated using (person_no)
    where not list_contains($non_competitive_job_types, periods.job_type)
),
month_parts as (
    select
        *,
        unnest(generate_series(date_trunc('month', period_start), date_trunc('month', period_end), interval 1 month))::date
            as calendar_month
    from treated_periods
),
exact_hours as (
    select
        person_no,
        world,
        datediff('month', index_month, calendar_month) as event_month,
        (hours_paid * 100)::hugeint
            * (least(period_end, last_day(calendar_month)) - greatest(period_start, calendar_month) + 1)
            * (505412435127600 // (period_end - period_start + 1)) as hour_units
    from month_parts
),
work_months as (
    select
        person_no,
        event_month,
        coalesce(sum(hour_units) filter (where world in ('shared', 'ips')), 0) as ips_hour_units,
        coalesce(sum(hour_units) filter (where world in ('shared', 'control')), 0) as control_hour_units
    from exact_hours
    where event_month between 1 and $follow_up_months
    group by person_no, event_month
),
treated_spells as (
    select
        treated.person_no,
        treated.index_month,
        spells.world,
        greatest(date_trunc('month', spells.start_date), treated.index_month + interval 1 month)::date as first_month,
        least(
            date_trunc('month', coalesce(spells.end_date, treated.index_month + to_months($follow_up_months))),
            treated.index_month + to_months($follow_up_months)
        )::date as last_month
    from synth_benefit_spell as spells
    join treated using (person_no)
    where list_contains($qualifying_benefit_types, spells.benefit_type)
),
spell_months as (
    select
        person_no,
        world,
        index_month,
        unnest(generate_series(first_month, last_month, interval 1 month))::date as calendar_month
    from treated_spells
    where first_month <= last_month
),
benefit_months as (
    select
        person_no,
        datediff('month', index_month, calendar_month) as event_month,
        bool_or(world in ('shared', 'ips')) as ips_on_benefit,
        bool_or(world in ('shared', 'control')) as control_on_benefit
    from spell_months
    group by person_no, event_month
),
person_months as (
    select
        observed_months.person_no,
        observed_months.event_month,
        coalesce(work_months.ips_hour_units, 0) >= 100 * 505412435127600::hugeint as ips_employed_any,
        coalesce(work_months.ips_hour_units, 0) >= 4800 * 505412435127600::hugeint as ips_employed_48h,
        coalesce(benefit_months.ips_on_benefit, false) as ips_on_benefit,
        coalesce(work_months.control_hour_units, 0) >= 100 * 505412435127600::hugeint as control_employed_any,
        coalesce(work_months.control_hour_units, 0) >= 4800 * 505412435127600::hugeint as control_employed_48h,
        coalesce(benefit_months.control_on_benefit, false) as control_on_benefit
    from observed_months
    left join work_months using (person_no, event_month)
    left join benefit_months using (person_no, event_month)
)
select * from person_months;

create or replace table synth_truth_month as
with
month_counts as (
    select
        event_month,
        count(*) as observed_persons,
        count(*) filter (where ips_employed_any) as ips_employed_any,
        count(*) filter (where ips_employed_48h) as ips_employed_48h,
        count(*) filter (where ips_on_benefit) as ips_on_benefit,
        count(*) filter (where control_employed_any) as control_employed_any,
        count(*) filter (where control_employed_48h) as control_employed_48h,
        count(*) filter (where control_on_benefit) as control_on_benefit
    from synth_truth_person_month
    group by event_month
),
event_months as (
    select range::integer as event_month from range(1, $follow_up_months + 1)
),
treated_count as (
    select count(*)::integer as ips_persons from synth_truth_treated
),
effects as (
    select
        event_months.event_month,
        ips_persons,
        coalesce(observed_persons, 0)::integer as ips_persons_observed,
        round((ips_employed_any - control_employed_any) / observed_persons, 6) as att_employed_any,
        round((ips_employed_48h - control_employed_48h) / observed_persons, 6) as att_employed_48h,
        round((ips_on_benefit - control_on_benefit) / observed_persons, 6) as att_on_benefit,
        round(ips_employed_any / observed_persons, 6) as ips_world_employed_any,
        round(ips_employed_48h / observed_persons, 6) as ips_world_employed_48h,
        round(ips_on_benefit / observed_persons, 6) as ips_world_on_benefit,
        round(control_employed_any / observed_persons, 6) as control_world_employed_any,
        round(control_employed_48h / observed_persons, 6) as control_world_employed_48h,
        round(control_on_benefit / observed_persons, 6) as control_world_on_benefit
    from event_months
    cross join treated_count
    left join month_counts using (event_month)
)
select * from effects
order by event_month;

create or replace table synth_truth_subgroup_month as
with
levels as (
    unpivot (select person_no, target_group, funder, provider from synth_truth_treated)
    on target_group, funder, provider
    into name subgroup value level
),
level_persons as (
    select subgroup, level, count(*)::integer as ips_persons from levels group by subgroup, level
),
month_counts as (
    select
        levels.subgroup,
        levels.level,
        months.event_month,
        count(*) as observed_persons,
        count(*) filter (where ips_employed_any) - count(*) filter (where control_employed_any) as difference_employed_any,
        count(*) filter (where ips_employed_48h) - count(*) filter (where control_employed_48h) as difference_employed_48h,
        count(*) filter (where ips_on_benefit) - count(*) filter (where control_on_benefit) as difference_on_benefit
    from synth_truth_person_month as months
    join levels using (person_no)
    group by levels.subgroup, levels.level, months.event_month
)
select
    level_persons.subgroup,
    level_persons.level,
    event_months.range::integer as event_month,
    level_persons.ips_persons,
    coalesce(month_counts.observed_persons, 0)::integer as ips_persons_observed,
    round(difference_employed_any / observed_persons, 6) as att_employed_any,
    round(difference_employed_48h / observed_persons, 6) as att_employed_48h,
    round(difference_on_benefit / observed_persons, 6) as att_on_benefit
from level_persons
cross join range(1, $follow_up_months + 1) as event_months
left join month_counts
    on month_counts.subgroup = level_persons.subgroup
    and month_counts.level = level_persons.level
    and month_counts.event_month = event_months.range
order by level_persons.subgroup, level_persons.level, event_month;

-- Only this file reads its temp tables, the person-months among the largest generation makes: freed now.
drop table synth_truth_person_month;
drop table synth_truth_treated
