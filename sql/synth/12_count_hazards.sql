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
    select
        *,
        index_month + to_months($follow_up_months) as last_follow_up_month,
        last_day(index_month + to_months($follow_up_months)) as follow_up_end
    from candidates
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
-- Spells and trajectories open in delivery 1 and re-sent by delivery 2:
-- closed by then, or still open.
delivered_ends as (
    select 'spell' as entity, delivery_no, spell_no as row_no, end_date from synth_delivered_spell
    union all
    select 'trajectory', delivery_no, trajectory_no, end_date from synth_delivered_trajectory
),
resent_open as (
    select entity, second_delivery.end_date is not null as is_closed
    from delivered_ends as first_delivery
    join delivered_ends as second_delivery using (entity, row_no)
    where first_delivery.delivery_no = 1 and first_delivery.end_date is null and second_delivery.delivery_no = 2
),
second_delivery_persons as (
    select
        first_delivery.death_date is null and second_delivery.death_date is not null as is_new_death,
        first_delivery.emigration_date is null and second_delivery.emigration_date is not null as is_new_emigration
    from synth_delivered_person as first_delivery
    join synth_delivered_person as second_delivery using (person_no)
    where first_delivery.delivery_no = 1 and second_delivery.delivery_no = 2
),
person_counts as (
    select
        count(death_date) filter (where first_programme = 'IPS') as deaths_ips_first,
        count(death_date) filter (where first_programme = 'TVR') as deaths_tvr_first,
        count(death_date) filter (where first_programme = 'background') as deaths_background,
        count(emigration_date) filter (where first_programme = 'IPS') as emigrations_ips_first,
        count(emigration_date) filter (where first_programme = 'TVR') as emigrations_tvr_first,
        count(emigration_date) filter (where first_programme = 'background') as emigrations_background,
        count(*) filter (where day(death_date) = 1 or day(emigration_date) = 1) as deaths_or_emigrations_on_first_of_month,
        count(*) filter (where death_date = last_day(death_date) or emigration_date = last_day(emigration_date))
            as deaths_or_emigrations_on_last_of_month,
        count(*) filter (where birth_month is null) as persons_without_birth_month
    from person_events
),
cohort_counts as (
    select
        count(*) filter (where programme = 'IPS') as cohort_ips,
        count(*) filter (where programme = 'TVR') as cohort_tvr,
        count(*) filter (where programme = 'IPS' and death_date <= follow_up_end) as cohort_ips_deaths_in_follow_up,
        count(*) filter (where programme = 'TVR' and death_date <= follow_up_end) as cohort_tvr_deaths_in_follow_up,
        count(*) filter (where emigration_date <= follow_up_end) as cohort_emigrations_in_follow_up,
        count(*) filter (where state_pension_month <= last_follow_up_month)
            as cohort_reaching_state_pension_age_in_follow_up
    from cohort
),
candidate_counts as (
    select
        count(*) filter (where passes_rules_before_pension_and_coverage and not is_below_state_pension_age)
            as excluded_past_state_pension_age_at_index,
        count(*) filter (where passes_rules_before_pension_and_coverage and is_below_state_pension_age and not is_covered)
            as excluded_outside_coverage,
        count(*) filter (where is_same_day_pair) as same_day_pairs
    from candidates
),
chain_counts as (
    select count(*) as chained_episodes_before_index, count(*) filter (where gap_days = 31) as chain_gap_31_days
    from chains
),
older_episode_counts as (
    select count(*) as separate_older_episodes, count(*) filter (where gap_days = 32) as separate_episode_gap_32_days
    from older_episodes
),
spell_counts as (
    select
        count(*) filter (where spell_no % 16 = 1 and benefit_type = 'ZW' and end_date = start_date + 727)
            as zw_ended_at_maximum_after_index,
        count(*) filter (where spell_no % 16 = 7) as zw_continued_as_wga_after_index,
        count(*) filter (where spell_no % 16 = 8) as ww_spells_after_index,
        count(*) filter (where spell_no % 16 = 9) as bijstand_spells_after_index
    from observed_spells
),
trajectory_counts as (
    select
        count(*) filter (where trajectory_no % 8 = 3) as tvr_first_starting_ips_later,
        count(*) filter (where trajectory_no % 8 = 2 and programme = 'TVR') as ips_first_starting_tvr_later
    from synth_trajectory
),
payroll_counts as (
    select count(*) filter (where is_observed and period_start < $employment_coverage_from::date)
        as payroll_periods_straddling_coverage_start
    from synth_payroll_period
),
correction_counts as (
    select count(*) filter (where delivery_no = 2 and is_wrong_in_first_delivery) as payroll_periods_corrected_in_delivery_2
    from synth_delivered_period
),
resent_counts as (
    select
        count(*) filter (where entity = 'spell' and is_closed) as spells_closed_by_delivery_2,
        count(*) filter (where entity = 'spell' and not is_closed) as spells_resent_open_in_delivery_2,
        count(*) filter (where entity = 'trajectory' and is_closed) as trajectories_closed_by_delivery_2
    from resent_open
),
new_event_counts as (
    select
        count(*) filter (where is_new_death) as deaths_new_in_delivery_2,
        count(*) filter (where is_new_emigration) as emigrations_new_in_delivery_2
    from second_delivery_persons
),
-- One row; the columns in this order are truth.json's `hazards`.
counts as (
    select *
    from person_counts, cohort_counts, candidate_counts, chain_counts, older_episode_counts, spell_counts,
        trajectory_counts, payroll_counts, correction_counts, resent_counts, new_event_counts
)
select columns(*)::integer from counts
