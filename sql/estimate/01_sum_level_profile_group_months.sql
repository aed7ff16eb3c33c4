-- The subgroup levels' observed person-months summed once for all levels
-- (01_sum_outcomes.sql then reads these sums for each level, never the
-- panel): per profile group and event month, the persons and, per 0/1
-- outcome matching $subgroup_pattern (the outcomes levels are estimated
-- for), the persons with y = 1 (y^2 = y: that count is every sum a level's
-- estimate needs).
-- A person's profile group is the list of its profiles in every subgroup
-- level (00_profile_sample_persons.sql), numbered: persons of one group have
-- the same profile in each level, so a level's profile sums are the sums of
-- its profile's groups. Counts are exact, so a level's sums are the same
-- whichever groups add up to them.
-- Every level has every control of its strata, or with a provider every
-- control: each level's statement joined the whole panel to its persons and
-- grouped some 16 M person-months. At 1,000,000 persons (11 levels, 35.4 M
-- observed person-months) those statements took 17.8 s alone; this one
-- reads the panel once. The study's sample is summed from the panel as it
-- is (01_sum_outcomes.sql): its amounts need wide exact sums, whose states
-- over the groups' months (2.2 M groups with the study's profile in the
-- key) took 26 s and spilled under DuckDB's 2,135 MiB.
-- Persons are joined to the panel on its integer person_key: at 1,000,000
-- persons, alone, the grouping of the panel's months took 2.2-2.5 s joined
-- on person_id, 1.35-1.39 s on person_key.
-- Grain: level_profile_groups, one row per profile group x subgroup x level (the group's profile there);
-- level_profile_group_months, one row per profile group x event month with an observed person-month.
-- Reads: sample_person_profiles, panel_person_month. Writes: level_profile_groups, level_profile_group_months.
create or replace temp table person_profile_groups as
with
levels as (
    select subgroup, level, (row_number() over (order by subgroup, level))::bigint as level_no
    from (select distinct subgroup, level from sample_person_profiles where subgroup <> '')
),
person_keys as (
    -- persons without an observed month (person_key null) are one group here that no join below finds
    select profiles.person_key, list(levels.level_no << 32 | profiles.profile_id order by levels.level_no) as profile_key
    from sample_person_profiles as profiles
    join levels using (subgroup, level)
    group by profiles.person_key
),
groups as (
    select profile_key, row_number() over (order by profile_key)::integer as profile_group
    from (select distinct profile_key from person_keys)
)
select person_keys.person_key, groups.profile_group
from person_keys
join groups using (profile_key);

create or replace temp table level_profile_groups as
select distinct groups.profile_group, profiles.subgroup, profiles.level, profiles.profile_id
from sample_person_profiles as profiles
join person_profile_groups as groups using (person_key);

create or replace temp table level_profile_group_months as
select groups.profile_group, panel.event_month, count(*) as persons, count_if(columns($subgroup_pattern))::bigint as "\0"
from person_profile_groups as groups
join panel_person_month as panel using (person_key)
where panel.observed
group by groups.profile_group, panel.event_month;

drop table person_profile_groups;
