-- Every sample's persons by profile (the study's, subgroup and level '',
-- and each subgroup level's), and each profile's weights per event month:
-- what lets a statement sum the panel's person-months once per profile and
-- month and give the sums their weights after, instead of joining every
-- person-month to its weights as observed_person_months does
-- (01_sum_outcomes.sql for every sample; after this stage, the monitor's
-- and the disclosure stage's sums over the study's sample).
-- A person's rows in a sample (at most two: 'matched' and, in the study's
-- sample, 'unweighted') side by side are its profile, numbered densely;
-- persons of one set and arm share a profile, so there are few (at
-- 1,000,000 persons 4,240 for the study's 595,029 persons). A profile's
-- weight in a month is each of its rows' weight as 00_weight_observed_months.sql
-- finds it: as given (in every month of the panel, $first_month to
-- $last_month), or taken up in the matched set (set_month_weight, in the
-- months the set enters: set_month_compared), so each of the profile's
-- person-months weighs what observed_person_months gives it. Rows weighted
-- by pairs (matching with replacement: a person's weight in a month is the
-- sum over its pairs) have no profile: pair_weighted_person_months holds
-- their person-months.
-- The samples' distinct rows are numbered first, a person's rows are then a
-- count and its lowest and highest row numbers, and the profiles are the
-- distinct such triples, numbered and joined back (integers, no list() or
-- struct state). At 1,000,000 persons (4,498,150 sample persons, 41,090
-- profiles) all samples took 5.2 s and the process peaked at 864 MB,
-- against 8.1 s and 1,603 MB with each person's rows as structs, and
-- 1.2-1.7 s a sample one at a time beside the DiD's stream (15-17 s for
-- the 12). Run once, in step 00, before the stream rather than beside it. Only the tables' rows count, not their order or
-- how profiles are numbered: every reader sums them exactly.
-- Each person carries the panel's integer for it (person_key, from
-- did_observed_months; null for a person without an observed month, whom no
-- sum reads): the statements that sum a sample's panel months join the
-- panel on it, not on the person_id text.
-- Grain: sample_person_profiles, one row per subgroup x level x person with
-- a row weighted as given or by set; sample_profile_weights, one row per
-- subgroup x level x profile x weighting x event_month in the estimate.
-- Reads: sample_weightings, matched_set_months, did_observed_months. Writes: sample_person_profiles, sample_profile_weights.
-- every sample's distinct rows (weight_source 'pairs' have none: their weights are per person-month)
create or replace temp table sample_rows as
select
    subgroup, level, weighting, treated, subclass, weight_source, weight,
    row_number() over (partition by subgroup, level order by weighting, treated, subclass, weight_source, weight)::integer as row_id
from (
    select distinct subgroup, level, weighting, treated, subclass, weight_source, case when weight_source = 'given' then weight end as weight
    from sample_weightings
    where weight_source <> 'pairs'
);

-- each person's rows in a sample: how many, and the first and last row number
create or replace temp table sample_person_rows as
select
    persons.subgroup,
    persons.level,
    persons.person_id,
    if(count(*) > 2, error('estimate/00: a person has more than two rows in one sample'), count(*))::integer as row_count,
    min(rows.row_id) as first_row,
    max(rows.row_id) as second_row
from sample_weightings as persons
join sample_rows as rows
    on rows.subgroup = persons.subgroup
    and rows.level = persons.level
    and rows.weighting = persons.weighting
    and rows.treated = persons.treated
    and rows.subclass is not distinct from persons.subclass
    and rows.weight_source = persons.weight_source
    and rows.weight is not distinct from case when persons.weight_source = 'given' then persons.weight end
where persons.weight_source <> 'pairs'
group by persons.subgroup, persons.level, persons.person_id;

create or replace temp table sample_profiles as
select subgroup, level, row_count, first_row, second_row,
    row_number() over (partition by subgroup, level order by row_count, first_row, second_row)::integer as profile_id
from (select distinct subgroup, level, row_count, first_row, second_row from sample_person_rows);

create or replace table sample_person_profiles as
select persons.subgroup, persons.level, persons.person_id, masks.person_key, profiles.profile_id
from sample_person_rows as persons
join sample_profiles as profiles using (subgroup, level, row_count, first_row, second_row)
left join did_observed_months as masks using (person_id);

-- a profile's rows, with their weight in every month of the panel when given, in the months the set enters when
-- taken up in it
create or replace table sample_profile_weights as
with
profile_rows as (
    select profiles.subgroup, profiles.level, profiles.profile_id, rows.weighting, rows.treated, rows.subclass, rows.weight_source, rows.weight
    from sample_profiles as profiles
    join sample_rows as rows on rows.subgroup = profiles.subgroup and rows.level = profiles.level and rows.row_id = profiles.first_row
    union all
    select profiles.subgroup, profiles.level, profiles.profile_id, rows.weighting, rows.treated, rows.subclass, rows.weight_source, rows.weight
    from sample_profiles as profiles
    join sample_rows as rows on rows.subgroup = profiles.subgroup and rows.level = profiles.level and rows.row_id = profiles.second_row
    where profiles.row_count = 2
)
select rows.subgroup, rows.level, rows.profile_id, months.event_month, rows.weighting, rows.treated, rows.subclass, rows.weight
from profile_rows as rows
cross join (select unnest(range($first_month::bigint, $last_month::bigint + 1))::integer as event_month) as months
where rows.weight_source = 'given'
union all
select rows.subgroup, rows.level, rows.profile_id, sets.event_month, rows.weighting, rows.treated, rows.subclass,
    set_month_weight(rows.treated, sets.treated_observed, sets.control_observed) as weight
from profile_rows as rows
join matched_set_months as sets on sets.subgroup = rows.subgroup and sets.level = rows.level and sets.subclass = rows.subclass
where rows.weight_source = 'set' and set_month_compared(sets.treated_observed, sets.control_observed);

drop table sample_person_rows;
drop table sample_profiles;
drop table sample_rows;
