-- Adds the event-study DiD rows to the effects table, so every estimator of
-- an outcome and month sits in one table (and one effects.parquet/.arrow).
-- Grain: one row per outcome x estimator x event_month.
-- Reads: did_effects. Writes: effects.
insert into effects
select * from did_effects
order by outcome, estimator, event_month
