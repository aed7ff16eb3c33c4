-- Adds the event-study DiD rows of one matched sample (did_effects) where
-- that sample's other estimators are: the study's to effects, so every
-- estimator of an outcome and month sits in one table (and one
-- effects.parquet/.arrow); a subgroup level's to subgroup_effects.
-- Grain: one row per outcome x estimator x event_month (subgroup_effects:
-- per subgroup x level too).
-- Reads: did_effects. Writes: effects, subgroup_effects.
insert into effects
select * exclude (subgroup, level) from did_effects
where subgroup = ''
order by outcome, estimator, event_month;

insert into subgroup_effects
select * from did_effects
where subgroup <> ''
order by subgroup, level, outcome, estimator, event_month;
