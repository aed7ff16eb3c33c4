-- The size of each sample per arm, from the attrition steps that carry one
-- ('cohort', 'matched'): a month's count of persons that equals it is the
-- same quantity as the sample's size wherever it is published.
-- Grain: one row per sample.
-- Reads: attrition. Writes: sample_sizes.
create or replace table sample_sizes as
select sample, n_treated as sample_treated, n_control as sample_control
from attrition
where sample is not null;
