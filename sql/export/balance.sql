-- Covariate balance, with the `covariate=level` of a categorical level (null
-- for a numeric covariate) that links its persons to other tables.
-- Grain: one row per covariate x level.
-- Reads: balance. Writes: export_balance.
create or replace table export_balance as
select *, case when level <> '' then covariate || '=' || level end as covariate_level
from balance;
