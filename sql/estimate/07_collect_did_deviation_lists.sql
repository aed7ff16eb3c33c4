-- Within-person deviations of the outcomes, weighted: a_im = w_i (y_im - mean_i y),
-- for the persons of one batch ($score_batch), laid out as one list per
-- outcome x block x event month, ordered by the person's score_position.
-- Every sum over persons that follows (X'Wy and the cluster meat) is a list
-- sum or list inner product over these lists, added in that fixed order:
-- no per-person rows, no outer products.
-- Person means come from exact DECIMAL sums (booleans as 0/1), for the
-- outcomes whose columns match $outcome_pattern.
-- A temporary table, replaced batch by batch and dropped by
-- 10_drop_did_deviation_lists.sql: person-level values never reach the
-- warehouse file.
-- Grain: one row per outcome x block (pattern, pattern_block) x event_month of the batch.
-- Only the person's months in the estimate (did_persons.observed_months).
-- Reads: panel_person_month, did_persons. Writes: did_deviation_lists (temporary).
create or replace temp table did_deviation_lists as
with
panel as (
    select person_id, event_month, columns($outcome_pattern)::decimal(18, 2)
    from panel_person_month
    where observed
),
persons as (
    select person_id, treated, weight, months_observed, observed_months, pattern, pattern_block, score_position
    from did_persons
    where score_batch = $score_batch
),
matched as materialized (
    select panel.*, persons.* exclude (person_id, observed_months)
    from panel
    join persons using (person_id)
    where list_contains(persons.observed_months, panel.event_month)
),
outcome_months as (
    -- observed months have every outcome (the panel leaves them null only when not observed)
    unpivot matched on columns($outcome_pattern) into name outcome value y
),
person_means as (
    select person_id, outcome, sum(y) / any_value(months_observed) as mean_y
    from outcome_months
    group by person_id, outcome
),
weighted_deviations as (
    select
        outcome_months.treated,
        outcome_months.pattern,
        outcome_months.pattern_block,
        outcome_months.score_position,
        outcome_months.event_month,
        outcome_months.outcome,
        outcome_months.weight * (outcome_months.y - person_means.mean_y) as deviation
    from outcome_months
    join person_means using (person_id, outcome)
)
select treated, pattern, pattern_block, event_month, outcome, list(deviation order by score_position) as deviations
from weighted_deviations
group by treated, pattern, pattern_block, event_month, outcome
