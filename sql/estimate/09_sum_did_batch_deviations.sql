-- Adds one batch to did_batch_deviations: per pattern and month, the sum of
-- the weighted within deviations a_im (for X'Wy) and of w_i a_im (for the
-- part of the cluster meat that depends on the coefficients, see
-- 13_sum_did_score_products.sql). List sums and inner products add in
-- score_position order; block results are summed exactly as DECIMAL(38, 15).
-- Grain: one row per outcome x pattern x event_month, for this batch.
-- Reads: did_deviation_lists, did_persons. Writes: did_batch_deviations (insert).
insert into did_batch_deviations
with
lists as (select * from did_deviation_lists),
block_weights as (
    select pattern, pattern_block, list(weight order by score_position) as weights
    from did_persons
    where score_batch = $score_batch
    group by pattern, pattern_block
),
block_sums as (
    select
        lists.outcome,
        lists.treated,
        lists.pattern,
        lists.event_month,
        list_sum(lists.deviations)::decimal(38, 15) as within_sum,
        list_inner_product(block_weights.weights, lists.deviations)::decimal(38, 15) as weighted_within_sum
    from lists
    join block_weights using (pattern, pattern_block)
),
batch_sums as (
    select
        $score_batch::integer as score_batch,
        outcome,
        treated,
        pattern,
        event_month,
        sum(within_sum) as within_sum,
        sum(weighted_within_sum) as weighted_within_sum
    from block_sums
    group by outcome, treated, pattern, event_month
)
select * from batch_sums
