-- Sums of each outcome per arm, event month, matched set and weight over the
-- person-months in the estimate (observed_person_months): everything the
-- weighted means and their variances need. Grouping by weight keeps the sums
-- exact (DECIMAL), so results are the same whatever the thread count.
-- Two weightings: 'matched' (matching weights taken up per month within
-- matched sets) and 'unweighted' (every observed cohort person, weight 1, no
-- sets); with replacement also 'pairs', the pairs' rows as MatchIt's
-- get_matches() gives them (observed_pair_months: a control once per pair it
-- serves, subclass the pair), which only the matched ATT's variance reads
-- (sql/estimate/03). Samples: the study's cohort (subgroup and level '') with every
-- outcome (the columns matching $outcome_pattern: 0/1 ones $binary_pattern,
-- amounts $amount_pattern), and each subgroup level's own matching with the
-- 0/1 outcomes matching $subgroup_pattern; $sample_pattern is the one of the
-- two that the statement's sample is summed for.
-- The person-months are summed with one column per outcome and unpivoted
-- last, so they are read once, not once per outcome, and the rest goes
-- through one row per month rather than one per outcome too (at 10,000
-- persons the study's statement 2.0 -> 1.2 s; 1,000,000: hardly changed).
-- Run once per sample ($subgroup and $level: '' and '' for the study's,
-- then each subgroup level's) and range of its event months ($first_month
-- to $last_month: all of the panel's, or with many matched sets or pairs
-- as many as src/estimate/index.ts's sumsRowsPerRange allows), into an outcome_sums
-- the caller has dropped before it: the table holds one sample's sums of
-- those months, which its means and differences (02, 03) read before the
-- next range's or sample's replace them.
-- The study's statement joins the panel to its persons, and a
-- level's reads its profile groups' sums (01_sum_level_profile_group_months.sql,
-- the panel read once for every level), so a statement's memory follows
-- the cohort, never cohort x levels (a provider level holds every control:
-- all levels at once ran out of DuckDB's 2 GiB at 2 M persons under a 4GB
-- cap, the study's and the levels' together at 1 M).
-- Every sample's person-months are never written out: materializing them
-- and reading them twice was slower (10.7 s against 6.5 s on a 100 k
-- world, the same sums).
-- Grain: one row per subgroup x level x weighting x outcome x event_month x treated x subclass x weight;
-- with a subclass (a matched set or pair), one per subclass x treated x event_month, as sql/estimate/03
-- reads it: the weight taken up there is the same for the arm in the month (set_month_weight).
-- Reads: sample_person_profiles, sample_profile_weights, panel_person_month, level_profile_groups,
-- level_profile_group_months, pair_weighted_person_months, observed_pair_months.
-- Writes: outcome_sums.
create table if not exists outcome_sums (
    subgroup varchar,
    level varchar,
    weighting varchar,
    outcome varchar,
    event_month integer,
    treated integer,
    subclass integer,
    weight double,
    persons bigint,
    persons_positive bigint,
    sum_y decimal(38, 4),
    sum_y2 decimal(38, 12)
);
-- Per outcome y: persons with y > 0, the sum of y and of y^2. A 0/1 outcome's are counts (y^2 = y); an
-- amount (DECIMAL(18, 2)) is squared in whole cents (cents_squared, which the caller defines: a BIGINT or a
-- HUGEINT product, exact like a DECIMAL(38) one and several times cheaper).
create or replace macro binary_outcome_sums(y) as struct_pack(
    persons_positive := count_if(y)::bigint,
    sum_y := count_if(y)::decimal(38, 4),
    sum_y2 := count_if(y)::decimal(38, 12)
);
create or replace macro amount_outcome_sums(y) as struct_pack(
    persons_positive := count_if(y > 0)::bigint,
    sum_y := sum(y)::decimal(38, 4),
    sum_y2 := (sum(cents_squared(y))::decimal(38, 0) * 0.0001)::decimal(38, 12)
);
-- The sum of a column of such structs over a group, NULL when the column is (the outcome is not in the statement).
create or replace macro summed_outcome_sums(sums) as if(count(sums) = 0, null, struct_pack(
    persons_positive := sum(struct_extract(sums, 'persons_positive'))::bigint,
    sum_y := sum(struct_extract(sums, 'sum_y'))::decimal(38, 4),
    sum_y2 := sum(struct_extract(sums, 'sum_y2'))::decimal(38, 12)
));
-- A 0/1 outcome's sums from counts of persons with y = 1 (y^2 = y), summed over a group.
create or replace macro summed_binary_sums(persons_positive) as struct_pack(
    persons_positive := sum(persons_positive)::bigint,
    sum_y := sum(persons_positive)::decimal(38, 4),
    sum_y2 := sum(persons_positive)::decimal(38, 12)
);
insert into outcome_sums
with
-- Each panel person-month is summed once into its person's profile and month (00_profile_sample_persons.sql),
-- and the sums take the weights of the profile's rows after (weighted_sums), never joined to each
-- person-month: persons of one set and arm share a profile, so there are few. At 1,000,000 persons, alone:
-- the study's sample 12.9 -> 10.7 s (4,240 profiles for 595,029 persons), a provider's level 3.2 -> 2.8 s;
-- the same sums. They are joined on the panel's integer person_key: the study's months grouped by profile took
-- 2.6 s on person_id, 1.7-1.9 s so (1,000,000 persons, alone).
profile_months as not materialized (
    select profiles.profile_id, panel.event_month, columns($outcome_pattern)
    from sample_person_profiles as profiles
    join panel_person_month as panel using (person_key)
    where profiles.subgroup = $subgroup and profiles.level = $level and panel.observed
        and panel.event_month between $first_month and $last_month
),
-- a level's profile groups' months: its profiles' sums are its groups' sums
level_group_months as not materialized (
    select profiles.profile_id, sums.*
    from level_profile_group_months as sums
    join level_profile_groups as profiles using (profile_group)
    where profiles.subgroup = $subgroup and profiles.level = $level and sums.event_month between $first_month and $last_month
),
pair_months as not materialized (
    select weighting, treated, subclass, weight, event_month, columns($outcome_pattern)
    from pair_weighted_person_months
    where subgroup = $subgroup and level = $level and event_month between $first_month and $last_month
    union all by name
    select 'pairs' as weighting, treated, subclass, weight, event_month, columns($outcome_pattern)
    from observed_pair_months
    where subgroup = $subgroup and level = $level and event_month between $first_month and $last_month
),
-- Per profile and month, and the pairs' rows per weighting, arm, pair, weight and month (subgroup and level are
-- the statement's, so they are not grouped on). The profiles' months are grouped on those two integers alone,
-- not beside the pairs' keys (NULL for them): at 1,000,000 persons the study's grouping 8.1 -> 6.0 s.
study_sums as (
    select profile_id, event_month, count(*) as persons,
        binary_outcome_sums(columns($binary_pattern)) as "\0",
        amount_outcome_sums(columns($amount_pattern)) as "\0"
    from profile_months
    where $subgroup = ''
    group by profile_id, event_month
    union all by name
    select weighting, treated, subclass, weight, event_month, count(*) as persons,
        binary_outcome_sums(columns($binary_pattern)) as "\0",
        amount_outcome_sums(columns($amount_pattern)) as "\0"
    from pair_months
    where $subgroup = ''
    group by weighting, treated, subclass, weight, event_month
),
subgroup_sums as (
    select profile_id, event_month, sum(persons)::bigint as persons, summed_binary_sums(columns($subgroup_pattern)) as "\0"
    from level_group_months
    where $subgroup <> ''
    group by profile_id, event_month
    union all by name
    select weighting, treated, subclass, weight, event_month, count(*) as persons,
        binary_outcome_sums(columns($subgroup_pattern)) as "\0"
    from pair_months
    where $subgroup <> ''
    group by weighting, treated, subclass, weight, event_month
),
-- The study's or the level's sums, one struct column per outcome: wide until the end, so that the profiles'
-- weights below go through one row per month, not one per outcome too (the columns of the branch that did not
-- run are NULL).
arm_month_sums as (
    select * from study_sums
    union all by name
    select * from subgroup_sums
),
-- a profile's sums to each of its rows with the row's weight in the month, summed per row (counts and DECIMAL
-- sums: exact; a set's weight is the same for its arm in the month, so a set and arm stays one row); only the
-- sample's outcomes, not the other branch's NULL columns (a provider's level at 60,000 persons: this grouping
-- 0.74-0.95 -> 0.13-0.15 s, the statement 1.6-1.8 -> 1.2 s). The pairs' rows are grouped already.
weighted_sums as (
    select
        weights.weighting,
        weights.treated,
        weights.subclass,
        weights.weight,
        sums.event_month,
        sum(sums.persons)::bigint as persons,
        summed_outcome_sums(columns($sample_pattern)) as "\0"
    from arm_month_sums as sums
    join sample_profile_weights as weights
        on weights.subgroup = $subgroup
        and weights.level = $level
        and weights.profile_id = sums.profile_id
        and weights.event_month = sums.event_month
    group by all
    union all by name
    select weighting, treated, subclass, weight, event_month, persons, columns($sample_pattern)
    from arm_month_sums
    where profile_id is null
)
-- one row per outcome
select $subgroup, $level, weighting, outcome, event_month, treated, subclass, weight, persons, sums.persons_positive, sums.sum_y, sums.sum_y2
from (unpivot weighted_sums on columns($sample_pattern) into name outcome value sums)
