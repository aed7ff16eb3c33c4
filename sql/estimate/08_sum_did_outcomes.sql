-- X'Wy of the event-study DiD, per arm: the sum over persons of the weighted
-- within deviation a_im, per month. The month block of X'Wy is the sum over
-- arms; the treated x month block is the treated arm's row. The pattern
-- sums are rounded to DECIMAL(38, 15) and added exactly.
-- Grain: one row per outcome x treated x event_month.
-- Reads: did_deviation_sums. Writes: did_outcome_sums.
create or replace table did_outcome_sums as
select
    outcome,
    treated,
    event_month,
    sum(within_sum::decimal(38, 15))::double as within_sum
from did_deviation_sums
group by outcome, treated, event_month
order by outcome, treated, event_month
