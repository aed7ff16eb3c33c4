-- Costs, cost-effectiveness and return on investment per perspective.
-- Grain: one row per perspective x measure.
-- Reads: costs. Writes: export_costs.
create or replace table export_costs as
select * from costs;
