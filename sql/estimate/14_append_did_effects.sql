-- Adds the event-study DiD rows of every matched sample (did_sample_effects)
-- where each sample's other estimators are: the study's to effects, so every
-- estimator of an outcome and month sits in one table (and one
-- effects.parquet/.arrow); the subgroup levels' to subgroup_effects.
-- Grain: one row per outcome x estimator x event_month (subgroup_effects:
-- per subgroup x level too).
-- Reads: did_sample_effects. Writes: effects, subgroup_effects.
insert into effects
select * exclude (subgroup, level) from did_sample_effects
where subgroup = ''
order by outcome, estimator, event_month;

insert into subgroup_effects
select * from did_sample_effects
where subgroup <> ''
order by subgroup, level, outcome, estimator, event_month;
