-- One sample's persons by profile ($subgroup and $level: '' and '' for the
-- study's), and each profile's weights per event month: what lets a
-- statement sum the panel's person-months once per profile and month and
-- give the sums their weights after, instead of joining every person-month
-- to its weights as observed_person_months does (01_sum_outcomes.sql for
-- every sample; after this stage, the monitor's and the disclosure stage's
-- sums over the study's sample).
-- A person's rows in the sample (at most two: 'matched' and, in the study's
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
-- Run once per sample, before its sums; the caller drops both tables when
-- the stage starts. Only their rows count, not their order (every reader
-- sums them exactly).
-- Fixed columns, not a list() of rows: a list() aggregate's state cannot
-- spill (with lists, one statement per subgroup ran out of DuckDB's 2 GiB at
-- 1 M persons).
-- Grain: sample_person_profiles, one row per subgroup x level x person with
-- a row weighted as given or by set; sample_profile_weights, one row per
-- subgroup x level x profile x weighting x event_month in the estimate.
-- Reads: sample_weightings, matched_set_months. Writes: sample_person_profiles, sample_profile_weights.
create table if not exists sample_person_profiles (subgroup varchar, level varchar, person_id varchar, profile_id integer);
create table if not exists sample_profile_weights (
    subgroup varchar,
    level varchar,
    profile_id integer,
    event_month integer,
    weighting varchar,
    treated integer,
    subclass integer,
    weight double
);
create or replace temp table sample_person_rows as
with
person_rows as (
    select
        person_id,
        if(count(*) > 2, error('estimate/01: a person has more than two rows in one sample'), count(*)) as row_count,
        arg_min(struct_pack(weighting, treated, subclass, weight_source, weight), weighting) as first_row,
        arg_max(struct_pack(weighting, treated, subclass, weight_source, weight), weighting) as second_row
    from (
        select person_id, weighting, treated, subclass, weight_source, case when weight_source = 'given' then weight end as weight
        from sample_weightings
        where weight_source <> 'pairs' and subgroup = $subgroup and level = $level
    )
    group by person_id
)
select *, dense_rank() over (order by row_count, first_row, second_row)::integer as profile_id
from person_rows;

insert into sample_person_profiles
select $subgroup, $level, person_id, profile_id from sample_person_rows;

insert into sample_profile_weights
with
profile_rows as (
    select profile_id, unnest(if(row_count = 2, [first_row, second_row], [first_row]), recursive := true)
    from (select distinct profile_id, row_count, first_row, second_row from sample_person_rows)
)
select $subgroup, $level, profile_id, event_month, weighting, treated, subclass, weight
from profile_rows
cross join (select unnest(range($first_month, $last_month + 1))::integer as event_month)
where weight_source = 'given'
union all
select
    $subgroup,
    $level,
    rows.profile_id,
    sets.event_month,
    rows.weighting,
    rows.treated,
    rows.subclass,
    set_month_weight(rows.treated, sets.treated_observed, sets.control_observed)
from profile_rows as rows
join matched_set_months as sets
    on sets.subgroup = $subgroup
    and sets.level = $level
    and sets.subclass = rows.subclass
where rows.weight_source = 'set' and set_month_compared(sets.treated_observed, sets.control_observed);

drop table sample_person_rows;
