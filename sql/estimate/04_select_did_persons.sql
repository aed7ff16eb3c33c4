-- Persons in the event-study DiD of one matched sample: the study's
-- ($subgroup and $level '', from matches) or a subgroup level's (from
-- subgroup_matches). Matched (weight > 0), with the event months they are
-- in the estimate (observed_person_months of the sample: observed, in a
-- matched set with an observed treated and control that month); the
-- matching weight is the person's baseline one.
-- Batches: $persons_per_batch consecutive person_ids, processed one at a
-- time so memory stays bounded however long the panel is (and a panel
-- stored in person_id order is read only where the batch lies).
-- Patterns: one arm and one set of observed months; a balanced panel has
-- one pattern per arm, an unbalanced one a pattern per distinct set of gaps.
-- Blocks: at most $persons_per_score_block persons of one batch and
-- pattern, so everyone in a block is observed in the same months; later
-- steps keep one list of values per block and month, in score_position order.
-- Batch, pattern, block and position follow person_id, never the row order.
-- Grain: one row per matched person_id of the sample with at least one panel month.
-- Reads: observed_person_months, matches, subgroup_matches. Writes: did_persons.
create or replace table did_persons as
with
panel as (
    select person_id, event_month
    from observed_person_months
    where subgroup = $subgroup and level = $level and weighting = 'matched'
),
matched as (
    select person_id, treated, weight from matches where weight > 0 and $subgroup = ''
    union all
    select person_id, treated, weight
    from subgroup_matches
    where weight > 0 and subgroup = $subgroup and level = $level
),
observed as (
    select
        matched.person_id,
        matched.treated,
        matched.weight,
        count(*)::integer as months_observed,
        list(panel.event_month order by panel.event_month) as observed_months
    from matched
    join panel using (person_id)
    group by matched.person_id, matched.treated, matched.weight
),
batched as (
    select
        *,
        ((row_number() over (order by person_id) - 1) // $persons_per_batch)::integer as score_batch
    from observed
),
patterns as (
    select
        treated,
        observed_months,
        row_number() over (order by treated, observed_months)::integer as pattern
    from (select distinct treated, observed_months from observed)
),
patterned as (
    select
        batched.*,
        patterns.pattern,
        row_number() over (partition by batched.score_batch, patterns.pattern order by batched.person_id) - 1 as position_in_batch_pattern
    from batched
    join patterns using (treated, observed_months)
),
persons as (
    select
        person_id,
        treated,
        weight,
        months_observed,
        observed_months,
        score_batch,
        pattern,
        (position_in_batch_pattern // $persons_per_score_block)::integer as pattern_block,
        (position_in_batch_pattern % $persons_per_score_block)::integer as score_position
    from patterned
)
select * from persons
