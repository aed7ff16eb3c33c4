-- Pre-trend tests, rounded to 10 decimals so the last bits of the algebra
-- never reach the published bytes.
-- Grain: one row per outcome x test.
-- Reads: pretrend_tests. Writes: export_pretrend_tests.
create or replace table export_pretrend_tests as
select outcome, round(statistic, 10) as statistic, df, round(p_value, 10) as p_value, test
from pretrend_tests;
