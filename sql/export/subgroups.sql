-- Subgroup levels with the keys that link their counts: the level
-- (`subgroup=level`) in the cohort, the level of the controls (null when a
-- provider's participants are matched against every control) and the
-- level's own matched sample.
-- Grain: one row per subgroup x level.
-- Reads: subgroups. Writes: export_subgroups.
create or replace table export_subgroups as
select
    *,
    subgroup || '=' || level as level_key,
    case controls when 'all controls' then null else subgroup || '=' || level end as control_level_key,
    'subgroup:' || subgroup || '=' || level as matched_sample
from subgroups;
