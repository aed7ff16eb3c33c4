-- Keeps one matched sample's event-study DiD rows (did_effects, which the
-- next sample replaces) until every sample is estimated and the matched
-- ATT's tables they join exist (14_append_did_effects.sql): the samples'
-- fits run while the differences (01-03) are still summed beside them.
-- The caller drops did_sample_effects before the first sample.
-- Grain: one row per subgroup x level x outcome x estimator x event_month.
-- Reads: did_effects. Writes: did_sample_effects.
create table if not exists did_sample_effects as
select * from did_effects
limit 0;

insert into did_sample_effects
select * from did_effects;
