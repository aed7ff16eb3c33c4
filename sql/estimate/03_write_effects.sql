-- Splits every sample's differences (sample_effects, 03_difference_in_means.sql)
-- into the study's matched cohort's effects and the subgroup levels'
-- subgroup_effects.
-- Grain: one row per outcome x estimator x event_month (subgroup_effects: per
-- subgroup x level too).
-- Reads: sample_effects. Writes: effects, subgroup_effects.
create or replace table effects as
select * exclude (subgroup, level)
from sample_effects
where subgroup = ''
order by outcome, estimator, event_month;

create or replace table subgroup_effects as
select *
from sample_effects
where subgroup <> ''
order by subgroup, level, outcome, estimator, event_month;
