-- Persons in the event-study DiD of one matched sample: the study's
-- ($subgroup and $level '', from matches) or a subgroup level's (from
-- subgroup_matches). Matched (weight > 0), with the event months they are
-- in the estimate (observed_person_months of the sample: observed, in a
-- matched set with an observed treated and control that month); the
-- matching weight is the person's baseline one.
-- Patterns: one arm and one set of observed months; a balanced panel has
-- one pattern per arm, an unbalanced one a pattern per distinct set of gaps.
-- Blocks: $persons_per_score_block consecutive persons (by person_id) of one
-- pattern, so everyone in a block is observed in the same months; later
-- steps keep one list of values per block and month, in score_position order.
-- Batches: whole blocks, in pattern and block order; a block joins the
-- batch of the stretch of $persons_per_batch persons it starts in (batches
-- numbered densely from 0), so a batch holds fewer than $persons_per_batch
-- plus a block's persons. Batches are processed one at a time, so memory
-- stays bounded however long the panel is. A block is never split: the
-- lists, and every sum of them, are the same whatever the batch size.
-- Pattern, block, position and batch follow person_id, never the row order.
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
patterns as (
    select
        treated,
        observed_months,
        row_number() over (order by treated, observed_months)::integer as pattern
    from (select distinct treated, observed_months from observed)
),
positioned as (
    select
        observed.*,
        patterns.pattern,
        row_number() over (partition by patterns.pattern order by observed.person_id) - 1 as position_in_pattern
    from observed
    join patterns using (treated, observed_months)
),
blocked as (
    select
        * exclude (position_in_pattern),
        (position_in_pattern // $persons_per_score_block)::integer as pattern_block,
        (position_in_pattern % $persons_per_score_block)::integer as score_position
    from positioned
),
blocks as (
    select
        pattern,
        pattern_block,
        -- persons in the blocks before this one
        coalesce(sum(count(*)) over (order by pattern, pattern_block rows between unbounded preceding and 1 preceding), 0) as persons_before
    from blocked
    group by pattern, pattern_block
),
batches as (
    select pattern, pattern_block, (dense_rank() over (order by persons_before // $persons_per_batch) - 1)::integer as score_batch
    from blocks
),
persons as (
    select
        blocked.person_id,
        blocked.treated,
        blocked.weight,
        blocked.months_observed,
        blocked.observed_months,
        batches.score_batch,
        blocked.pattern,
        blocked.pattern_block,
        blocked.score_position
    from blocked
    join batches using (pattern, pattern_block)
)
select * from persons
