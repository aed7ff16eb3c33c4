-- The panel's observed person-months for the event-study DiD, sorted into
-- (person_id, event_month) order: for a panel not stored in person order
-- (06_check_did_panel_order.sql). The same rows and columns as
-- 06_read_did_panel_months.sql, in the order its reader expects.
-- Grain: one row per observed person-month.
-- Reads: panel_person_month. Writes: (none; a streamed result).
select event_month::integer as event_month, columns($outcome_pattern)::double
from panel_person_month
where observed
order by person_id, event_month
