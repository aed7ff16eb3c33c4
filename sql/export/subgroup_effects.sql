-- Subgroup effects (the matched ATT and the event-study DiD of each level)
-- with their level's matched sample and its size per arm. Every estimator's
-- n_treated / n_control are the level's matched persons observed in the
-- month, so the same rules and linked counts guard the DiD rows; their
-- ci_method names no count (sql/estimate/14).
-- Grain: one row per subgroup x level x outcome x estimator x event month.
-- Reads: subgroup_effects, subgroups. Writes: export_subgroup_effects.
create or replace table export_subgroup_effects as
select
    subgroup_effects.*,
    subgroups.matched_treated as sample_treated,
    subgroups.matched_control as sample_control,
    'subgroup:' || subgroup || '=' || level as matched_sample
from subgroup_effects
join subgroups using (subgroup, level);
