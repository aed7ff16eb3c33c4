-- Adds one batch to did_batch_products: the sum over its persons of
-- a_im a_ik, per outcome and arm. Everyone in a block is observed in the
-- same months, so each block contributes list inner products (added in
-- score_position order), rounded to DECIMAL(38, 15) and summed exactly.
-- Pairs are computed once (month <= other month).
-- Grain: one row per outcome x treated x event_month x other_event_month, for this batch.
-- Reads: did_deviation_lists. Writes: did_batch_products (insert).
insert into did_batch_products
with
lists as (select * from did_deviation_lists),
block_products as (
    select
        month.outcome,
        month.treated,
        month.event_month,
        other_month.event_month as other_event_month,
        list_inner_product(month.deviations, other_month.deviations)::decimal(38, 15) as deviation_product
    from lists as month
    join lists as other_month
        on other_month.outcome = month.outcome
        and other_month.pattern = month.pattern
        and other_month.pattern_block = month.pattern_block
        and other_month.event_month >= month.event_month
),
batch_sums as (
    select
        $score_batch::integer as score_batch,
        outcome,
        treated,
        event_month,
        other_event_month,
        sum(deviation_product) as deviation_product
    from block_products
    group by outcome, treated, event_month, other_event_month
)
select * from batch_sums
