-- Which attrition steps with arm counts may be published, so that no count
-- below $threshold persons follows from subtracting two published steps.
-- Anchors are always published, because other tables publish them too: the
-- first step with arms (its persons are the trajectories' persons in
-- linkage), the cohort (the step before matching) and the matched step.
-- Walking forward, a step between anchors is published only when, in each
-- arm, its drop from the last published step and its drop to the next
-- anchor are 0 or at least $threshold; a step left out is suppressed, and
-- its drop counts with the next published one.
-- A drop between two anchors below the threshold cannot be hidden this way;
-- attrition_gaps lists them for the disclosure warnings.
-- Grain: one row per attrition step with arm counts.
-- Reads: attrition. Writes: attrition_steps_shown, attrition_gaps.
create or replace temp table attrition_steps_shown as
with recursive
steps as (
    select row_number() over (order by step_no) as i, step_no, n_treated, n_control
    from attrition
    where n_treated is not null
),
anchored as (
    select *, i = 1 or i >= (select max(i) - 1 from steps) as is_anchor
    from steps
),
with_next_anchor as (
    select
        step.*,
        anchor.n_treated as next_anchor_treated,
        anchor.n_control as next_anchor_control
    from anchored as step
    left join anchored as anchor
        on anchor.i = (select min(later.i) from anchored as later where later.is_anchor and later.i > step.i)
),
walk(i, step_no, shown, last_treated, last_control) as (
    select i, step_no, true, n_treated, n_control from with_next_anchor where i = 1
    union all
    select
        i, step_no, shown,
        case when shown then n_treated else last_treated end,
        case when shown then n_control else last_control end
    from (
        select
            step.i, step.step_no, step.n_treated, step.n_control, walk.last_treated, walk.last_control,
            step.is_anchor or (
                (walk.last_treated - step.n_treated = 0 or walk.last_treated - step.n_treated >= $threshold)
                and (walk.last_control - step.n_control = 0 or walk.last_control - step.n_control >= $threshold)
                and (step.n_treated - step.next_anchor_treated = 0 or step.n_treated - step.next_anchor_treated >= $threshold)
                and (step.n_control - step.next_anchor_control = 0 or step.n_control - step.next_anchor_control >= $threshold)
            ) as shown
        from walk
        join with_next_anchor as step on step.i = walk.i + 1
    )
)
select step_no, shown from walk
order by step_no;

create or replace temp table attrition_gaps as
with
published as (
    select
        step_no,
        lag(step_no) over (order by step_no) as from_step,
        lag(n_treated) over (order by step_no) - n_treated as drop_treated,
        lag(n_control) over (order by step_no) - n_control as drop_control
    from attrition
    where step_no in (select step_no from attrition_steps_shown where shown)
)
select from_step, step_no as to_step, 'treated' as arm from published where drop_treated between 1 and $threshold - 1
union all
select from_step, step_no, 'control' from published where drop_control between 1 and $threshold - 1
order by from_step, arm;
