-- The cost_acceptability rows of the costs stage, as they are.
-- Grain: one row per perspective x willingness to pay.
-- Reads: cost_acceptability. Writes: export_cost_acceptability.
create or replace table export_cost_acceptability as
select * from cost_acceptability;
