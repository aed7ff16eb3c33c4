-- Attrition: how many rows and persons survive each step, from the raw input
-- rows to the cohort. Row 1 equals the sum of the deliveries' row counts.
-- Grain: one row per step. Matching adds its own step (sql/match/).
-- Reads: ingested_files, persons, cohort_candidates. Writes: attrition.
create or replace table attrition as
with
input_rows as (
    select sum(rows_read)::bigint as rows_read, sum(rows_accepted)::bigint as rows_accepted from ingested_files
),
-- The population rules in the order attrition reports them: the last step
-- each candidate reaches is the one before the first rule it fails.
reached as (
    select
        programme,
        case
            when not is_study_programme then 4
            when not is_in_index_window then 5
            when not is_followed_up then 6
            when not is_eligible_age then 7
            when not is_on_qualifying_benefit then 8
            when not (is_in_target_group and is_kept_for_programmes) then 9
            else 10
        end as last_step
    from cohort_candidates
),
person_steps(step_no, step) as (
    values
        (4, 'persons with an accepted trajectory, linked to persons'),
        (5, 'first trajectory is ' || $treated || ' or ' || $control),
        (6, 'index date in the index window'),
        (7, 'follow-up observed by the extract dates'),
        (8, 'age at index in range'),
        (9, 'on a qualifying benefit at index'),
        (10, 'in the target groups; both-programmes rule')
),
steps(step_no, step, unit, n, n_treated, n_control) as (
    select 1, 'input rows in the deliveries', 'rows', rows_read, null::bigint, null::bigint from input_rows
    union all
    select 2, 'rows accepted by validation', 'rows', rows_accepted, null, null from input_rows
    union all
    select 3, 'persons accepted', 'persons', (select count(*) from persons), null, null
    union all
    select
        person_steps.step_no, person_steps.step, 'persons', count(reached.programme),
        count(*) filter (where reached.programme = $treated), count(*) filter (where reached.programme = $control)
    from person_steps
    left join reached on reached.last_step >= person_steps.step_no
    group by person_steps.step_no, person_steps.step
)
select * from steps
order by step_no
