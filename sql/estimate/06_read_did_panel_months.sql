-- The panel's observed person-months for the event-study DiD, in stored
-- order: each person's together, persons in person_id order, when
-- 06_check_did_panel_order.sql found the panel stored so (DuckDB keeps a
-- single table's order through WHERE). event_month and every outcome
-- matching $outcome_pattern as DOUBLE (booleans 0/1; no nulls, since the
-- month is observed). The reader (sumSampleDeviations,
-- src/estimate/did-deviation-sums.ts) counts the rows and finds each
-- person's by did_observed_months.rows_before; the memberships
-- (06_read_did_memberships.sql) say whose rows it sums. Nothing is stored.
-- Grain: one row per observed person-month.
-- Reads: panel_person_month. Writes: (none; a streamed result).
select event_month::integer as event_month, columns($outcome_pattern)::double
from panel_person_month
where observed
