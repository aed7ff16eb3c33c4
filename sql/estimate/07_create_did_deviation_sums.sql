-- An empty table for one sample's sums of deviations, which
-- sumSampleDeviations (src/estimate/did-deviation-sums.ts) computes from the
-- streamed person-months (06) and writeDeviationSums appends, with
-- a_im = w_i (y_im - mean_i y), the weighted within-person deviation:
-- did_deviation_sums      grain: outcome x pattern x event_month: sums of
--                         a_im and of w_i a_im over the pattern's persons
-- Added in the stream's fixed order in double; 08 rounds them to
-- DECIMAL(38, 15) before any SQL sum, so its sums are exact. (The products
-- of deviations stay in TypeScript, for did-score-products.ts.)
-- Reads: (none). Writes: did_deviation_sums.
create or replace table did_deviation_sums (
    outcome varchar,
    treated integer,
    pattern integer,
    event_month integer,
    within_sum double,
    weighted_within_sum double
)
