-- Persons in the event-study DiD of one matched sample: the study's
-- ($subgroup and $level '', from matches) or a subgroup level's (from
-- subgroup_matches). Matched (weight > 0), with the event months they are
-- in the estimate: the months of observed_person_months (00), found without
-- joining the panel. A person's observed months (did_observed_months, 00_mask)
-- are intersected with the months its matched set is compared in (a set
-- whose weight is taken up per month: set_month_compared of
-- 00_define_set_month_weight.sql), or with those of any pair it is in
-- (matching with replacement), or kept as they are (a weight given without
-- sets or pairs). The matching weight is the person's baseline one.
-- Patterns: one arm and one set of observed months, numbered densely from 0
-- by arm and mask; a balanced panel has one pattern per arm, an
-- unbalanced one a pattern per distinct set of gaps.
-- person_index numbers the persons by arm, then person_id: 06 streams every
-- sample's persons in person_id order, so an arm's persons arrive in
-- person_index order and its blocks of persons are counted by it.
-- months_mask: the months in the estimate as a mask (bit m - $first_month);
-- contributes: whether any outcome matching $outcome_pattern can give the
-- person a non-zero within deviation (00_mask); 06 streams only those.
-- did_patterns lists each pattern's months, once (a list per person would
-- be most of did_persons).
-- Grain: did_persons, one row per matched person_id of the sample with at
-- least one month in the estimate; did_patterns, one row per pattern.
-- did_persons and did_patterns are temporary: only this connection reads
-- them, one sample at a time, and a persistent table's write cost more than
-- the choosing (at 1,000,000 persons, the 12 samples' 04 10.5 -> 7.7 s and
-- their 05_restore 2.3-2.8 -> 0.5 s). 04_keep_did_sample_persons.sql keeps
-- them in persistent tables, which the stream reads on another connection.
-- Reads: sample_weightings, matched_set_months, match_pairs, subgroup_match_pairs, did_observed_months.
-- Writes: did_persons, did_patterns.
create or replace temp table did_persons as
with
sample as (
    select person_id, treated, subclass, weight_source, weight
    from sample_weightings
    where subgroup = $subgroup and level = $level and weighting = 'matched'
),
set_masks as (
    select subclass, bitstring_agg(event_month, $first_month, $last_month) as compared_mask
    from matched_set_months
    where subgroup = $subgroup and level = $level and set_month_compared(treated_observed, control_observed)
    group by subclass
),
pair_masks as (
    select pairs.person_id, bit_or(set_masks.compared_mask) as compared_mask
    from (
        select subclass, person_id from match_pairs where $subgroup = ''
        union all
        select subclass, person_id from subgroup_match_pairs where subgroup = $subgroup and level = $level
    ) as pairs
    join set_masks using (subclass)
    group by pairs.person_id
),
observed as (
    select
        sample.person_id,
        sample.treated,
        sample.weight,
        observed.observed_mask & case sample.weight_source
            when 'set' then set_masks.compared_mask
            when 'pairs' then pair_masks.compared_mask
            else observed.observed_mask
        end as months_mask,
        observed.contributes
    from sample
    join (
        select person_id, observed_mask, greatest(*columns($outcome_pattern)) as contributes from did_observed_months
    ) as observed using (person_id)
    left join set_masks on set_masks.subclass = sample.subclass
    left join pair_masks on pair_masks.person_id = sample.person_id
),
in_estimate as (
    select * exclude (months_mask), months_mask, bit_count(months_mask)::integer as months_observed
    from observed
    where bit_count(months_mask) > 0
),
patterns as (
    select treated, months_mask, (row_number() over (order by treated, months_mask) - 1)::integer as pattern
    from (select distinct treated, months_mask from in_estimate)
)
select
    in_estimate.person_id,
    in_estimate.treated,
    in_estimate.weight,
    in_estimate.months_observed,
    patterns.pattern,
    (row_number() over (order by in_estimate.treated, in_estimate.person_id) - 1)::integer as person_index,
    in_estimate.months_mask,
    in_estimate.contributes
from in_estimate
join patterns using (treated, months_mask);

create or replace temp table did_patterns as
select
    pattern,
    any_value(treated) as treated,
    [month::integer for month in range($first_month, $last_month + 1)
        if get_bit(any_value(months_mask), (month - $first_month)::integer) = 1] as observed_months
from did_persons
group by pattern
order by pattern
