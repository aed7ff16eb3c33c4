-- The cost_plane rows of the costs stage, as they are.
-- Grain: one row per perspective x replicate.
-- Reads: cost_plane. Writes: export_cost_plane.
create or replace table export_cost_plane as
select * from cost_plane;
