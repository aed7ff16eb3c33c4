-- The propensity-score model's coefficients (empty for exact matching).
-- Grain: one row per design-matrix column.
-- Reads: ps_model. Writes: export_ps_model.
create or replace table export_ps_model as
select * from ps_model;
