-- Propensity scores in bins per arm, before and after matching.
-- Grain: one row per sample x arm x bin.
-- Reads: ps_distribution. Writes: export_ps_distribution.
create or replace table export_ps_distribution as
select * from ps_distribution;
