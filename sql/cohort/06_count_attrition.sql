-- Attrition: how many rows and persons survive each step, from the raw input
-- rows to the cohort. Row 1 equals the sum of the deliveries' row counts
-- (every extract's, the optional healthcare_costs too, as in rows 2 and 3);
-- row 3 drops the accepted rows no longer in force (earlier versions of
-- re-delivered rows), so one clean delivery and several that describe the
-- same data differ in rows 1-3 only.
-- step_key names a step for code and researchers (labels may change);
-- sample marks the study cohort (and, added by sql/match/, the matched).
-- Steps whose rule the study does not apply keep every person (their label
-- says so).
-- Grain: one row per step. Matching adds its own step (sql/match/).
-- Reads: ingested_files, persons, benefit_spells, employment_periods,
-- trajectories, healthcare_costs, cohort_candidates. Writes: attrition.
create or replace table attrition as
with
input_rows as (
    select sum(rows_read)::bigint as rows_read, sum(rows_accepted)::bigint as rows_accepted from ingested_files
),
rows_in_force as (
    select
        (select count(*) from persons) + (select count(*) from benefit_spells)
        + (select count(*) from employment_periods) + (select count(*) from trajectories)
        + (select count(*) from healthcare_costs) as rows_in_force
),
-- The population rules in the order attrition reports them: the last step
-- each candidate reaches is the one before the first rule it fails. Until
-- the same-day rule, a person starting both programmes on the index date
-- counts in the treated arm.
reached as (
    select
        coalesce(programme, $treated) as programme,
        case
            when not is_study_programme then 5
            when not is_single_programme_at_index then 6
            when not is_in_index_window then 7
            when not is_in_coverage then 8
            when not is_present_at_index then 9
            when not is_kept_for_state_pension then 10
            when not is_eligible_age then 11
            when not is_on_qualifying_benefit then 12
            when not is_in_target_group then 13
            when not is_kept_for_programmes then 14
            else 15
        end as last_step
    from cohort_candidates
),
person_steps(step_no, step_key, step) as (
    values
        (5, 'with_trajectory', 'persons with an accepted trajectory, linked to persons'),
        (6, 'study_programme', 'first trajectory is ' || $treated || ' or ' || $control),
        (7, 'same_day', case $same_day_rule
            when 'exclude' then 'no same-day start of both programmes'
            else 'same-day starts of both programmes count as ' || $treated || ' (rule not applied)' end),
        (8, 'index_window', 'index date in the index window'),
        (9, 'coverage', 'look-back, pre-period and follow-up inside the coverage of the employment and benefit extracts'),
        (10, 'present_at_index', 'alive, resident and below state-pension age at the index date'),
        (11, 'state_pension_age', case $state_pension_rule
            when 'exclude' then 'does not reach state-pension age during the follow-up'
            else 'reaching state-pension age during the follow-up censors (rule not applied)' end),
        (12, 'age', 'age at index in range'),
        (13, 'qualifying_benefit', 'on a qualifying benefit at index'
            || case when len($incapacity_causes) > 0 then ' with incapacity cause ' || array_to_string($incapacity_causes, ', ') else '' end),
        (14, 'target_group', case when len($target_groups) > 0
            then 'first trajectory in target group ' || array_to_string($target_groups, ', ')
            else 'any target group (rule not applied)' end),
        (15, 'both_programmes', case when $exclude_both_programmes
            then 'no trajectory of the other programme before the index date'
            else 'a trajectory of the other programme before the index date keeps the first trajectory''s arm (rule not applied)' end)
),
steps(step_no, step_key, step, unit, n, n_treated, n_control) as (
    select 1, 'input_rows', 'input rows in the deliveries', 'rows', rows_read, null::bigint, null::bigint from input_rows
    union all
    select 2, 'accepted_rows', 'rows accepted by validation', 'rows', rows_accepted, null, null from input_rows
    union all
    select 3, 'rows_in_force', 'rows in force: earlier versions of re-delivered rows removed', 'rows', rows_in_force, null, null
    from rows_in_force
    union all
    select 4, 'persons', 'persons accepted', 'persons', (select count(*) from persons), null, null
    union all
    select
        person_steps.step_no, person_steps.step_key, person_steps.step, 'persons', count(reached.last_step),
        count(*) filter (where reached.programme = $treated), count(*) filter (where reached.programme = $control)
    from person_steps
    left join reached on reached.last_step >= person_steps.step_no
    group by person_steps.step_no, person_steps.step_key, person_steps.step
)
select *, case step_no when 15 then 'cohort' end as sample from steps
order by step_no
