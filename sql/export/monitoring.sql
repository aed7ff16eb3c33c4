-- Share at work among the persons in an active trajectory, per quarter and provider.
-- Grain: one row per quarter x provider ('all' included).
-- Reads: monitoring_quarter_provider. Writes: export_monitoring.
create or replace table export_monitoring as
select * from monitoring_quarter_provider;
