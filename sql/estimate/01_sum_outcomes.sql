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
-- 0/1 outcomes matching $subgroup_pattern.
-- The person-months are summed with one column per outcome first and
-- unpivoted after, so they are read once, not once per outcome.
-- Run once per sample ($subgroup and $level: '' and '' for the study's,
-- then each subgroup level's), into an outcome_sums the caller has
-- dropped: each statement joins the panel to one sample's persons, so its
-- memory follows the cohort, never cohort x levels (a provider level holds
-- every control: all levels at once ran out of DuckDB's 2 GiB at 2 M
-- persons under a 4GB cap, the study's and the levels' together at 1 M).
-- Every sample's person-months are never written out: materializing them
-- and reading them twice was slower (10.7 s against 6.5 s on a 100 k
-- world, the same sums).
-- Grain: one row per subgroup x level x weighting x outcome x event_month x treated x subclass x weight.
-- Reads: sample_weightings, sample_person_months, matched_set_months, observed_person_months, observed_pair_months. Writes: outcome_sums.
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
-- amount (DECIMAL(18, 2)) is squared in whole cents, a HUGEINT product, exact like a DECIMAL(38) one and
-- several times cheaper.
create or replace macro binary_outcome_sums(y) as struct_pack(
    persons_positive := count_if(y)::bigint,
    sum_y := count_if(y)::decimal(38, 4),
    sum_y2 := count_if(y)::decimal(38, 12)
);
create or replace macro amount_outcome_sums(y) as struct_pack(
    persons_positive := count_if(y > 0)::bigint,
    sum_y := sum(y)::decimal(38, 4),
    sum_y2 := (sum((y * 100)::bigint::hugeint * (y * 100)::bigint)::decimal(38, 0) * 0.0001)::decimal(38, 12)
);
insert into outcome_sums
with
months as not materialized (
    -- A weight taken up in the matched set is the same for every person of the set, arm and month, and a
    -- given one is grouped on: persons are summed first and the set's weight attached to the sums after
    -- (weighted_sums), never joined to each person-month
    select
        subgroup, level, weighting, treated, subclass, weight_source,
        case when weight_source = 'given' then given_weight end as weight,
        event_month, columns($outcome_pattern)
    from sample_person_months
    where weight_source <> 'pairs' and subgroup = $subgroup and level = $level
    union all by name
    select subgroup, level, weighting, treated, subclass, 'given' as weight_source, weight, event_month, columns($outcome_pattern)
    from observed_person_months
    where subgroup = $subgroup and level = $level
        and (subgroup, level, weighting) in (select subgroup, level, weighting from sample_weightings where weight_source = 'pairs')
    union all by name
    select subgroup, level, 'pairs' as weighting, treated, subclass, 'given' as weight_source, weight, event_month, columns($outcome_pattern)
    from observed_pair_months
    where subgroup = $subgroup and level = $level
),
-- (subgroup and level are the statement's, so they are not grouped on)
study_sums as (
    select
        $subgroup as subgroup, $level as level, weighting, treated, subclass, weight_source, weight, event_month,
        count(*) as persons,
        binary_outcome_sums(columns($binary_pattern)) as "\0",
        amount_outcome_sums(columns($amount_pattern)) as "\0"
    from months
    where $subgroup = ''
    group by weighting, treated, subclass, weight_source, weight, event_month
),
subgroup_sums as (
    select
        $subgroup as subgroup, $level as level, weighting, treated, subclass, weight_source, weight, event_month,
        count(*) as persons,
        binary_outcome_sums(columns($subgroup_pattern)) as "\0"
    from months
    where $subgroup <> ''
    group by weighting, treated, subclass, weight_source, weight, event_month
),
sums as (
    select * exclude (sums), sums.*
    from (unpivot study_sums on columns($outcome_pattern) into name outcome value sums)
    union all by name
    select * exclude (sums), sums.*
    from (unpivot subgroup_sums on columns($subgroup_pattern) into name outcome value sums)
),
weighted_sums as (
    select * exclude (weight_source) from sums where weight_source = 'given'
    union all by name
    -- the set's weight in the month, and only sets with both arms observed (00_define_set_month_weight.sql)
    select
        sums.* exclude (weight_source, weight),
        set_month_weight(sums.treated, sets.treated_observed, sets.control_observed) as weight
    from sums
    join matched_set_months as sets
        on sets.subgroup = sums.subgroup
        and sets.level = sums.level
        and sets.subclass = sums.subclass
        and sets.event_month = sums.event_month
    where sums.weight_source = 'set' and set_month_compared(sets.treated_observed, sets.control_observed)
)
select subgroup, level, weighting, outcome, event_month, treated, subclass, weight, persons, persons_positive, sum_y, sum_y2
from weighted_sums
