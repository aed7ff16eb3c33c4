-- Attrition: how many rows and persons survive each step, from the raw input
-- rows to the cohort. Row 1 equals the sum of the deliveries' row counts.
-- Grain: one row per step. Matching adds its own step (sql/match/).
-- Reads: ingested_files, persons, cohort_candidates. Writes: attrition.
create or replace table attrition as
with
input_rows as (
    select sum(rows_read)::bigint as rows_read, sum(rows_accepted)::bigint as rows_accepted from ingested_files
),
candidates as (select * from cohort_candidates),
steps(step_no, step, unit, n, n_treated, n_control) as (
    select 1, 'input rows in the deliveries', 'rows', rows_read, null::bigint, null::bigint from input_rows
    union all
    select 2, 'rows accepted by validation', 'rows', rows_accepted, null, null from input_rows
    union all
    select 3, 'persons accepted', 'persons', (select count(*) from persons), null, null
    union all
    select
        4, 'persons with an accepted trajectory, linked to persons', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates
    union all
    select
        5, 'first trajectory is ' || $treated || ' or ' || $control, 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates where is_study_programme
    union all
    select
        6, 'index date in the index window', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates where is_study_programme and is_in_index_window
    union all
    select
        7, 'follow-up observed by the extract dates', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates where is_study_programme and is_in_index_window and is_followed_up
    union all
    select
        8, 'age at index in range', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates where is_study_programme and is_in_index_window and is_followed_up and is_eligible_age
    union all
    select
        9, 'on a qualifying benefit at index', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates
    where is_study_programme and is_in_index_window and is_followed_up and is_eligible_age and is_on_qualifying_benefit
    union all
    select
        10, 'in the target groups; both-programmes rule', 'persons', count(*),
        count(*) filter (where programme = $treated), count(*) filter (where programme = $control)
    from candidates
    where is_study_programme and is_in_index_window and is_followed_up and is_eligible_age and is_on_qualifying_benefit
        and is_in_target_group and is_kept_for_programmes
)
select * from steps
order by step_no
