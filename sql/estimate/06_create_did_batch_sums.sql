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
-- did_deviations (temporary) holds a_im for every person-month of the sample
-- in the estimate (did_persons.observed_months), one column per outcome
-- matching $outcome_pattern, with the person's batch, block and position:
-- the panel is read once per sample, and stored in batch order so that each
-- batch (07) reads only the row groups it lies in. Person means come from
-- exact DECIMAL sums (booleans as 0/1). Temporary, dropped by
-- 10_drop_did_deviation_lists.sql: person-level values never reach the
-- warehouse file.
-- Reads: panel_person_month, did_persons.
-- Writes: did_batch_products, did_batch_deviations, did_deviations (temporary).
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
;
create or replace temp table did_deviations as
with
panel as (
    select person_id, event_month, columns($outcome_pattern)::decimal(18, 2)
    from panel_person_month
    where observed
),
matched as (
    select panel.*, persons.* exclude (person_id, observed_months)
    from panel
    join did_persons as persons using (person_id)
    where list_contains(persons.observed_months, panel.event_month)
)
select
    score_batch,
    treated,
    pattern,
    pattern_block,
    score_position,
    event_month,
    -- a_im = w_i (y_im - mean_i y), every outcome at once
    weight * (columns($outcome_pattern) - sum(columns($outcome_pattern)) over (partition by person_id) / months_observed) as "\0"
from matched
order by score_batch
