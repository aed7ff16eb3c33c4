-- Follow-up per status, with the sample's size in the row's arm and, for the
-- observed persons only (the n of effects and curves), the sample whose
-- counts they link to.
-- Grain: one row per sample x arm x event month x status.
-- Reads: follow_up, sample_sizes. Writes: export_follow_up.
create or replace table export_follow_up as
select
    follow_up.*,
    case follow_up.arm when $treated_arm then sizes.sample_treated else sizes.sample_control end as sample_persons,
    case follow_up.status when 'observed' then follow_up.sample end as observed_sample
from follow_up
left join sample_sizes as sizes using (sample);
