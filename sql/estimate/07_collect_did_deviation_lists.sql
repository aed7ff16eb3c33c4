-- The weighted within-person deviations a_im (did_deviations, 06) of the
-- persons of one batch ($score_batch), laid out as one list per outcome x
-- block x event month, ordered by the person's score_position.
-- Every sum over persons that follows (X'Wy and the cluster meat) is a list
-- sum or list inner product over these lists, added in that fixed order:
-- no per-person rows, no outer products.
-- A temporary table, replaced batch by batch and dropped by
-- 10_drop_did_deviation_lists.sql: person-level values never reach the
-- warehouse file.
-- Grain: one row per outcome x block (pattern, pattern_block) x event_month of the batch.
-- Reads: did_deviations. Writes: did_deviation_lists (temporary).
create or replace temp table did_deviation_lists as
with
weighted_deviations as (
    -- observed months have every outcome (the panel leaves them null only when not observed)
    unpivot (select * exclude (score_batch) from did_deviations where score_batch = $score_batch)
    on columns($outcome_pattern) into name outcome value deviation
)
select treated, pattern, pattern_block, event_month, outcome, list(deviation order by score_position) as deviations
from weighted_deviations
group by treated, pattern, pattern_block, event_month, outcome
