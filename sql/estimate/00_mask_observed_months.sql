-- Once per estimate stage, first: each panel
-- person's observed event months as a bitstring (bit m - $first_month set
-- when month m is observed; every mask has the panel's length), and per
-- outcome matching $outcome_pattern whether its within-person deviations
-- can be non-zero: not when the outcome is one constant 0 or 1 over its
-- observed months (so over any subset of them too). Such a constant's mean
-- is exactly itself, so every deviation, product and sum the person would
-- add in sumSampleDeviations (src/estimate/did-deviation-sums.ts) is exactly 0.
-- 00_weight_observed_months.sql counts each matched set's observed persons
-- per month from the masks, and 04_select_did_persons.sql intersects them
-- with the months each sample's sets or pairs enter, so neither joins the
-- panel to find persons' months. person_number numbers the persons in person_id order.
-- person_key is the panel's integer for the person, in person_id order
-- (panel/01_build_panel.sql): the statements that join a sample's persons to
-- the panel join on it (00_profile_sample_persons.sql), and this one groups
-- and orders on it, within the noise of doing so on person_id (1,000,000
-- persons, alone: 2.5-2.8 s, on person_id 2.2-2.9 s, on person_id keeping
-- min(person_key) 2.5-3.1 s).
-- For the DiD's streams (06): rows_before, how many observed person-months
-- come before the person's in (person_id, event_month) order, and the first
-- and last rowid of its observed months (06_check_did_panel_order.sql tells
-- from them whether the panel is stored in that order).
-- Grain: one row per person_id with an observed panel month.
-- Reads: panel_person_month. Writes: did_observed_months.
create or replace table did_observed_months as
select
    any_value(person_id) as person_id,
    person_key,
    (row_number() over (order by person_key))::integer as person_number,
    (sum(count(*)) over (order by person_key) - count(*))::bigint as rows_before,
    min(rowid) as first_rowid,
    max(rowid) as last_rowid,
    bitstring_agg(event_month, $first_month, $last_month) as observed_mask,
    (min(columns($outcome_pattern))::double <> max(columns($outcome_pattern))::double
        or min(columns($outcome_pattern))::double not in (0, 1)) as "\0"
from panel_person_month
where observed
group by person_key
