-- How often each register hazard occurs in the synthetic world, for
-- truth.json (`hazards`): counts over the rows as delivered at the final
-- extract date (after the last delivery), plus what the second delivery
-- corrects. "cohort" means trajectory persons of either programme passing
-- every population rule of synth_truth_candidate.
-- Grain: one row. Reads: synth_person, synth_life_event, synth_truth_candidate,
-- synth_benefit_spell, synth_trajectory, synth_payroll_period,
-- synth_delivered_*. Writes: synth_hazard_count.
create or replace table synth_hazard_count as
with
persons as (select * from synth_person),
life_events as (
    select
        person_no,
        if(death_date <= $extract_date::date, death_date, null) as death_date,
        if(emigration_date <= $extract_date::date, emigration_date, null) as emigration_date
    from synth_life_event
),
person_events as (
    select
        persons.person_no,
        coalesce(persons.programme, 'background') as first_programme,
        persons.birth_month,
        life_events.death_date,
        life_events.emigration_date
    from persons
    join life_events using (person_no)
),
candidates as (
    select
        *,
        is_in_index_window and is_eligible_age and is_on_qualifying_benefit and is_alive_and_resident_at_index
            and not is_same_day_pair as passes_rules_before_pension_and_coverage
    from synth_truth_candidate
),
cohort as (
    select * from candidates
    where passes_rules_before_pension_and_coverage and is_below_state_pension_age and is_covered
),
observed_spells as (select * from synth_benefit_spell where is_observed),
chains as (
    select index_spells.start_date - chain_spells.end_date - 1 as gap_days
    from observed_spells as chain_spells
    join observed_spells as index_spells
        on index_spells.person_no = chain_spells.person_no and index_spells.spell_no % 16 = 1
    where chain_spells.spell_no % 16 = 5
),
older_episodes as (
    select persons.benefit_start - older_spells.end_date - 1 as gap_days
    from observed_spells as older_spells
    join persons using (person_no)
    where older_spells.spell_no % 16 = 6
),
second_delivery_spells as (
    select
        first_delivery.end_date is null and second_delivery.end_date is not null as is_closed,
        first_delivery.end_date is null and second_delivery.end_date is null as is_still_open
    from synth_delivered_spell as first_delivery
    join synth_delivered_spell as second_delivery
        on second_delivery.spell_no = first_delivery.spell_no and second_delivery.delivery_no = 2
    where first_delivery.delivery_no = 1
),
second_delivery_trajectories as (
    select
        first_delivery.end_date is null and second_delivery.end_date is not null as is_closed,
        first_delivery.end_date is null and second_delivery.end_date is null as is_still_open
    from synth_delivered_trajectory as first_delivery
    join synth_delivered_trajectory as second_delivery
        on second_delivery.trajectory_no = first_delivery.trajectory_no and second_delivery.delivery_no = 2
    where first_delivery.delivery_no = 1
),
second_delivery_persons as (
    select
        first_delivery.death_date is null and second_delivery.death_date is not null as is_new_death,
        first_delivery.emigration_date is null and second_delivery.emigration_date is not null as is_new_emigration
    from synth_delivered_person as first_delivery
    join synth_delivered_person as second_delivery
        on second_delivery.person_no = first_delivery.person_no and second_delivery.delivery_no = 2
    where first_delivery.delivery_no = 1
),
counts as (
    select
        (select count(*) filter (where first_programme = 'IPS' and death_date is not null) from person_events)
            as deaths_ips_first,
        (select count(*) filter (where first_programme = 'TVR' and death_date is not null) from person_events)
            as deaths_tvr_first,
        (select count(*) filter (where first_programme = 'background' and death_date is not null) from person_events)
            as deaths_background,
        (select count(*) filter (where first_programme = 'IPS' and emigration_date is not null) from person_events)
            as emigrations_ips_first,
        (select count(*) filter (where first_programme = 'TVR' and emigration_date is not null) from person_events)
            as emigrations_tvr_first,
        (select count(*) filter (where first_programme = 'background' and emigration_date is not null) from person_events)
            as emigrations_background,
        (select count(*) filter (where day(death_date) = 1 or day(emigration_date) = 1) from person_events)
            as deaths_or_emigrations_on_first_of_month,
        (select count(*) filter (where death_date = last_day(death_date) or emigration_date = last_day(emigration_date))
         from person_events) as deaths_or_emigrations_on_last_of_month,
        (select count(*) filter (where birth_month is null) from person_events) as persons_without_birth_month,
        (select count(*) filter (where programme = 'IPS') from cohort) as cohort_ips,
        (select count(*) filter (where programme = 'TVR') from cohort) as cohort_tvr,
        (select count(*) filter (where programme = 'IPS'
                                 and death_date <= last_day(index_month + to_months($follow_up_months)))
         from cohort) as cohort_ips_deaths_in_follow_up,
        (select count(*) filter (where programme = 'TVR'
                                 and death_date <= last_day(index_month + to_months($follow_up_months)))
         from cohort) as cohort_tvr_deaths_in_follow_up,
        (select count(*) filter (where emigration_date <= last_day(index_month + to_months($follow_up_months)))
         from cohort) as cohort_emigrations_in_follow_up,
        (select count(*) filter (where state_pension_month <= index_month + to_months($follow_up_months)) from cohort)
            as cohort_reaching_state_pension_age_in_follow_up,
        (select count(*) filter (where passes_rules_before_pension_and_coverage and not is_below_state_pension_age)
         from candidates) as excluded_past_state_pension_age_at_index,
        (select count(*) filter (where passes_rules_before_pension_and_coverage and is_below_state_pension_age
                                 and not is_covered)
         from candidates) as excluded_outside_coverage,
        (select count(*) filter (where is_same_day_pair) from candidates) as same_day_pairs,
        (select count(*) from chains) as chained_episodes_before_index,
        (select count(*) filter (where gap_days = 31) from chains) as chain_gap_31_days,
        (select count(*) from older_episodes) as separate_older_episodes,
        (select count(*) filter (where gap_days = 32) from older_episodes) as separate_episode_gap_32_days,
        (select count(*) filter (where spell_no % 16 = 1 and benefit_type = 'ZW' and end_date = start_date + 727)
         from observed_spells) as zw_ended_at_maximum_after_index,
        (select count(*) filter (where spell_no % 16 = 7) from observed_spells) as zw_continued_as_wga_after_index,
        (select count(*) filter (where spell_no % 16 = 8) from observed_spells) as ww_spells_after_index,
        (select count(*) filter (where spell_no % 16 = 9) from observed_spells) as bijstand_spells_after_index,
        (select count(*) filter (where trajectory_no % 8 = 3) from synth_trajectory) as tvr_first_starting_ips_later,
        (select count(*) filter (where trajectory_no % 8 = 2 and programme = 'TVR') from synth_trajectory)
            as ips_first_starting_tvr_later,
        (select count(*) filter (where is_observed and period_start < $employment_coverage_from::date)
         from synth_payroll_period) as payroll_periods_straddling_coverage_start,
        (select count(*) filter (where delivery_no = 2 and is_wrong_in_first_delivery) from synth_delivered_period)
            as payroll_periods_corrected_in_delivery_2,
        (select count(*) filter (where is_closed) from second_delivery_spells) as spells_closed_by_delivery_2,
        (select count(*) filter (where is_still_open) from second_delivery_spells) as spells_resent_open_in_delivery_2,
        (select count(*) filter (where is_closed) from second_delivery_trajectories) as trajectories_closed_by_delivery_2,
        (select count(*) filter (where is_new_death) from second_delivery_persons) as deaths_new_in_delivery_2,
        (select count(*) filter (where is_new_emigration) from second_delivery_persons) as emigrations_new_in_delivery_2
)
select columns(*)::integer from counts
