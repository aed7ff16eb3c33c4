-- Costs, ICER and return on investment.
-- Grain: one row per measure.
-- Reads: costs. Writes: export_costs.
create or replace table export_costs as
select * from costs;
