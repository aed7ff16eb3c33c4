-- The linkage report per extract, with the register whose persons the
-- attrition table counts too.
-- Grain: one row per extract.
-- Reads: linkage. Writes: export_linkage.
create or replace table export_linkage as
select *, case extract when 'persons' then 'persons' when 'trajectories' then 'trajectories' end as register
from linkage;
