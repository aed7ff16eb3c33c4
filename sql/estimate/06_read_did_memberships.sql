-- Whose person-months the event-study DiD sums, and in which samples: one
-- row per sample a person contributes to (04_select_did_persons.sql: some
-- deviation can be non-zero there), persons in person_number (person_id)
-- order, each person's samples in sample_no order, with the sample's
-- pattern, person_index and weight. first_row and row_count place the
-- person's observed months in the panel's stream (06_read_did_panel_months):
-- rows first_row .. first_row + row_count - 1, counted from 0 (first_row a
-- DOUBLE, exact below 2^53). Read beside that stream on a sibling connection
-- by sumSampleDeviations (src/estimate/did-deviation-sums.ts); within each
-- sample and arm, persons come in person_index order. The order is total, so
-- the sums are the same bits on any thread count. Nothing is stored.
-- Grain: one row per sample x contributing person.
-- Reads: did_sample_persons, did_observed_months. Writes: (none; a streamed result).
select
    observed.rows_before::double as first_row,
    bit_count(observed.observed_mask)::integer as row_count,
    persons.sample_no::integer as sample_no,
    persons.pattern::integer as pattern,
    persons.person_index::integer as person_index,
    persons.weight::double as weight
from did_sample_persons as persons
join did_observed_months as observed using (person_id)
where persons.contributes
order by observed.person_number, persons.sample_no
