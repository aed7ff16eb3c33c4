-- Empty tables for one sample's sums, which sumSampleDeviations
-- (src/estimate/did-deviation-sums.ts) computes from the streamed
-- person-months (06) and writeDeviationSums appends, with
-- a_im = w_i (y_im - mean_i y), the weighted within-person deviation:
-- did_deviation_products  grain: outcome x treated x event_month x
--                         other_event_month observed together (month <=
--                         other month): sum over the arm's persons of a_im a_ik
-- did_deviation_sums      grain: outcome x pattern x event_month: sums of
--                         a_im and of w_i a_im over the pattern's persons
-- Added in the stream's fixed order in double; 08 and 10 round them to
-- DECIMAL(38, 15) before any SQL sum, so those sums are exact.
-- Reads: (none). Writes: did_deviation_products, did_deviation_sums.
create or replace table did_deviation_products (
    outcome varchar,
    treated integer,
    event_month integer,
    other_event_month integer,
    deviation_product double
);
create or replace table did_deviation_sums (
    outcome varchar,
    treated integer,
    pattern integer,
    event_month integer,
    within_sum double,
    weighted_within_sum double
)
