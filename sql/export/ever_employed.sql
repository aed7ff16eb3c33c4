-- Cumulative share ever employed, with the sample it counts ('matched' or
-- 'cohort') and that sample's size in the row's arm ($treated_arm or the other).
-- Grain: one row per weighting x arm x event month.
-- Reads: ever_employed, sample_sizes. Writes: export_ever_employed.
create or replace table export_ever_employed as
with
counts as (
    select ever_employed.*, case weighting when 'matched' then 'matched' else 'cohort' end as sample
    from ever_employed
)
select counts.*, case counts.arm when $treated_arm then sizes.sample_treated else sizes.sample_control end as sample_persons
from counts
left join sample_sizes as sizes using (sample);
