-- Whether panel_person_month is stored in person order, as the panel stage
-- writes it (sql/panel/01_build_panel.sql): every person's observed months
-- lie in a rowid range of their own, the ranges in person_number order. A
-- scan of one table keeps its stored order (DuckDB's order preservation),
-- so the DiD then streams the panel's observed months unsorted
-- (06_read_did_panel_months.sql) and each person's come together, in
-- person order; otherwise it sorts them (06_read_did_panel_months_sorted.sql).
-- Grain: one row.
-- Reads: did_observed_months. Writes: (none; a query result).
select coalesce(bool_and(first_rowid > previous_last_rowid), true) as in_order
from (
    select first_rowid, lag(last_rowid, 1, -1) over (order by person_number) as previous_last_rowid
    from did_observed_months
)
