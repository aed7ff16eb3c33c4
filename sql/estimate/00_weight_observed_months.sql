-- The person-months every estimate rests on, with their weights.
-- Only observed person-months count (panel_person_month.observed). Persons
-- censored in a matched set change its balance, so the matching weights are
-- taken up again per event month within each matched set (stratum or pair):
-- treated persons weigh 1 and the set's observed controls share the weight
-- of its observed treated, T_s,m / C_s,m, as exact and 1:k matching weight a
-- set at baseline. The estimand at month m is then the ATT among the treated
-- observed at m; a set with no observed treated or no observed control at m
-- drops out of that month ("without comparator").
-- Matching with replacement has no sets but pairs (match_pairs,
-- subgroup_match_pairs: one row per person per pair, as MatchIt's
-- get_matches()), and the same rule holds per pair: a pair enters month m when
-- its treated person and at least one of its controls are observed, each
-- observed control weighing 1 / C_p,m in it. observed_pair_months holds those
-- rows (a control once per pair it serves); in observed_person_months a
-- person weighs the sum of its weights in the pairs that enter the month
-- (summed as DECIMAL(38,18), so thread-independent), which makes the
-- weighted difference in means the get_matches regression's coefficient.
-- Weights given without sets or pairs (a sample with neither) stay as given.
-- Samples: the study ('' subgroup and level), matched and unweighted (every
-- cohort person, weight 1), and each subgroup level's matched sample.
-- Grain: matched_set_months, one row per subgroup x level x matched set (or
-- pair) x event_month with an observed person; sample_weightings (a view),
-- one row per subgroup x level x weighting x person of a sample with how its
-- weight is found; sample_person_months (a view),
-- one row per subgroup x level x weighting x person x observed event_month of
-- a sample, with how its weight is found (weight_source: given, set, pairs)
-- and the weight given; pair_member_months (a view), one row per subgroup x
-- level x pair x person x event_month the pair enters; pair_person_month_weights
-- (a view), one row per subgroup x level x person x event_month with the sum
-- of its weights over those pairs; observed_pair_months (a view),
-- one row per subgroup x level x pair x person x event_month of a pair in the
-- estimate; paired_samples (a view), one row per subgroup x level matched with
-- replacement; observed_person_months (a view), one row per subgroup x level x
-- weighting x person x event_month in the estimate; pair_weighted_person_months
-- (a view), its rows of the weightings whose weights come from pairs.
-- The rule is the macros of 00_define_set_month_weight.sql; the observed
-- months, did_observed_months' masks (00_mask_observed_months.sql, bit
-- m - $first_month for month m).
-- Reads: panel_person_month, did_observed_months, matches, subgroup_matches, match_pairs, subgroup_match_pairs.
-- Writes: matched_set_months, pair_member_months, pair_person_month_weights, observed_pair_months, paired_samples,
-- sample_weightings, sample_person_months, observed_person_months, pair_weighted_person_months.
create or replace table matched_set_months as
with
matched as (
    select '' as subgroup, '' as level, person_id, treated, subclass from matches where weight > 0 and subclass is not null
    union all
    select subgroup, level, person_id, treated, subclass from subgroup_matches where weight > 0 and subclass is not null
    union all
    select '', '', person_id, treated, subclass from match_pairs
    union all
    select subgroup, level, person_id, treated, subclass from subgroup_match_pairs
),
-- persons counted per set, arm and mask of observed months (a few dozen masks), then spread over the
-- masks' months: a set's persons are never joined to each of their months (1,000,000 persons: 11.9 -> 1.4 s)
set_masks as (
    select
        matched.subgroup,
        matched.level,
        matched.subclass,
        masks.observed_mask,
        count(*) filter (where matched.treated = 1) as treated_observed,
        count(*) filter (where matched.treated = 0) as control_observed
    from matched
    join did_observed_months as masks using (person_id)
    group by matched.subgroup, matched.level, matched.subclass, masks.observed_mask
),
set_mask_months as (
    select
        * exclude (observed_mask),
        unnest(list_filter(range($first_month::bigint, $last_month::bigint + 1), m -> get_bit(observed_mask, (m - $first_month)::integer) = 1))
            as event_month
    from set_masks
)
select
    subgroup,
    level,
    subclass,
    event_month::integer as event_month,
    sum(treated_observed)::bigint as treated_observed,
    sum(control_observed)::bigint as control_observed
from set_mask_months
group by subgroup, level, subclass, event_month;

create or replace view pair_member_months as
with
pairs as (
    select '' as subgroup, '' as level, subclass, person_id, treated from match_pairs
    union all
    select subgroup, level, subclass, person_id, treated from subgroup_match_pairs
)
-- each pair's members in the months the pair enters, with their weight in it (observed in the month or not:
-- the panel decides that after)
select
    pairs.subgroup,
    pairs.level,
    pairs.subclass,
    pairs.person_id,
    pairs.treated,
    sets.event_month,
    set_month_weight(pairs.treated, sets.treated_observed, sets.control_observed) as weight
from pairs
join matched_set_months as sets
    on sets.subgroup = pairs.subgroup
    and sets.level = pairs.level
    and sets.subclass = pairs.subclass
where set_month_compared(sets.treated_observed, sets.control_observed);

-- a person's weight in a month over the pairs that enter it (summed as DECIMAL(38,18): thread-independent)
create or replace view pair_person_month_weights as
select subgroup, level, person_id, event_month, sum(weight::decimal(38, 18))::double as weight
from pair_member_months
group by subgroup, level, person_id, event_month;

create or replace view observed_pair_months as
with
-- materialized, so the panel is joined on (person_id, event_month) after, not first on the month alone
pair_months as materialized (
    select * from pair_member_months
),
weighted as (
    select pair_months.* exclude (person_id, event_month), panel.*
    from pair_months
    join panel_person_month as panel
        on panel.person_id = pair_months.person_id
        and panel.event_month = pair_months.event_month
    where panel.observed
)
select * from weighted;

-- the samples matched with replacement, whose persons' weights are sums over pairs
create or replace view paired_samples as
select distinct '' as subgroup, '' as level from match_pairs
union
select distinct subgroup, level from subgroup_match_pairs;

create or replace view sample_weightings as
with
samples as (
    select '' as subgroup, '' as level, 'matched' as weighting, person_id, treated, subclass, weight from matches where weight > 0
    union all
    select '', '', 'unweighted', person_id, treated, null, 1.0 from matches
    union all
    select subgroup, level, 'matched', person_id, treated, subclass, weight from subgroup_matches where weight > 0
),
weightings as (
    -- how a person's weight in a month is found: 'given', 'set' (taken up in its matched set) or 'pairs'
    select
        samples.*,
        case
            when samples.weighting = 'unweighted' then 'given'
            when samples.subclass is not null then 'set'
            when paired_samples.subgroup is not null then 'pairs'
            else 'given'
        end as weight_source
    from samples
    left join paired_samples using (subgroup, level)
)
select * from weightings;

create or replace view sample_person_months as
select
    samples.subgroup,
    samples.level,
    samples.weighting,
    samples.treated,
    samples.subclass,
    samples.weight_source,
    samples.weight as given_weight,
    panel.*
from sample_weightings as samples
join panel_person_month as panel using (person_id)
where panel.observed;

create or replace view observed_person_months as
select
    months.subgroup,
    months.level,
    months.weighting,
    months.treated,
    months.subclass,
    case months.weight_source
        when 'given' then months.given_weight
        when 'pairs' then pairs.weight
        else set_month_weight(months.treated, sets.treated_observed, sets.control_observed)
    end as weight,
    months.* exclude (subgroup, level, weighting, treated, subclass, weight_source, given_weight)
from sample_person_months as months
left join matched_set_months as sets
    on sets.subgroup = months.subgroup
    and sets.level = months.level
    and sets.subclass = months.subclass
    and sets.event_month = months.event_month
left join pair_person_month_weights as pairs
    on pairs.subgroup = months.subgroup
    and pairs.level = months.level
    and pairs.person_id = months.person_id
    and pairs.event_month = months.event_month
where case months.weight_source
        when 'given' then true
        when 'pairs' then pairs.weight > 0
        else set_month_compared(sets.treated_observed, sets.control_observed)
    end;

-- matching with replacement: the person-months whose weight is a sum over pairs, which have no profile
-- (00_profile_sample_persons.sql); observed_person_months' rows of those samples, found from the pairs' months
-- to the panel, so that a plan never reads a sample's person-months to keep none (empty without pairs: a
-- semi join of observed_person_months to the paired samples, built the wrong way round, took 23 s for one
-- subgroup level at 1,000,000 persons)
create or replace view pair_weighted_person_months as
select
    persons.subgroup,
    persons.level,
    persons.weighting,
    persons.treated,
    persons.subclass,
    weights.weight,
    panel.*
from sample_weightings as persons
join pair_person_month_weights as weights
    on weights.subgroup = persons.subgroup
    and weights.level = persons.level
    and weights.person_id = persons.person_id
join panel_person_month as panel
    on panel.person_id = weights.person_id
    and panel.event_month = weights.event_month
where persons.weight_source = 'pairs' and panel.observed and weights.weight > 0
