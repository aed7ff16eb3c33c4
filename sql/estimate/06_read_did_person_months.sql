-- The sample's person-months in the event-study DiD (the months of
-- did_persons.months_mask, bit m - $first_month; a list would be copied to
-- every joined row), with the person's pattern and weight and
-- every outcome matching $outcome_pattern as DOUBLE (booleans 0/1), in
-- person_index and event_month order: a person's months arrive together
-- and in its pattern's order, persons of a pattern one after another. The
-- order is total, so whoever reads it sees the same sequence on any thread
-- count. Persons whose deviations are all exactly 0 (not contributes, 04)
-- are left out: they would add 0 to every sum. Streamed chunk by chunk
-- into sumDeviations (src/estimate/did-deviation-sums.ts); nothing is stored.
-- Grain: one row per person x event_month of the sample in the estimate, of persons that contribute.
-- Reads: panel_person_month, did_persons. Writes: (none; a streamed result).
select
    persons.person_index,
    persons.pattern,
    persons.weight,
    panel.event_month,
    columns($outcome_pattern)::double
from panel_person_month as panel
join (select * from did_persons where contributes) as persons using (person_id)
where panel.observed and get_bit(persons.months_mask, panel.event_month - $first_month) = 1
order by persons.person_index, panel.event_month
