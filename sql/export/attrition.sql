-- Attrition as the disclosure stage sees it: every step, whether its drop is
-- merged into the next published step (sql/disclosure/02), and the register a
-- step counts (persons, trajectories) for the counts linkage publishes too.
-- Grain: one row per attrition step.
-- Reads: attrition, attrition_steps_shown. Writes: export_attrition.
create or replace table export_attrition as
select
    step_no, step_key, step, unit, n, n_treated, n_control, sample,
    coalesce(not shown.shown, false) as is_merged,
    case step_key when 'persons' then 'persons' when 'with_trajectory' then 'trajectories' end as register
from attrition
left join attrition_steps_shown as shown using (step_no);
