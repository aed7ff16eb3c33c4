-- Empty tables for the per-batch sums of the event-study DiD (07-09 fill
-- them one batch of persons at a time). Values are DECIMAL(38, 15): partial
-- sums add exactly, so neither the batch size nor the thread count changes
-- the totals.
-- did_batch_products    grain: score_batch x outcome x treated x event_month
--                       x other_event_month (month <= other month):
--                       sum over the batch's persons of a_im a_ik
-- did_batch_deviations  grain: score_batch x outcome x pattern x event_month:
--                       sums of a_im and of w_i a_im over the batch's persons
-- where a_im = w_i (y_im - mean_i y) is the weighted within-person deviation.
-- Reads: (none). Writes: did_batch_products, did_batch_deviations.
create or replace table did_batch_products (
    score_batch integer,
    outcome varchar,
    treated integer,
    event_month integer,
    other_event_month integer,
    deviation_product decimal(38, 15)
);
create or replace table did_batch_deviations (
    score_batch integer,
    outcome varchar,
    treated integer,
    pattern integer,
    event_month integer,
    within_sum decimal(38, 15),
    weighted_within_sum decimal(38, 15)
);
