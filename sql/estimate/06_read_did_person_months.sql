-- Every sample's persons and their person-months for the event-study DiD,
-- in one stream, so the panel is read and sorted once for all samples.
-- One row per observed month of each person streamed, in person_number
-- (person_id) order, then month order: event_month and every outcome
-- matching $outcome_pattern as DOUBLE (booleans 0/1). The person's first
-- observed month (the first bit of its observed_mask, bit m - $first_month)
-- comes once per sample it is in, in sample_no order, with that sample's
-- pattern, person_index and weight; its other months once, with sample_no
-- -1 and those 0 (no nulls: the reader takes the columns as typed arrays,
-- src/db/chunk-columns.ts). The reader takes each sample's months from its
-- pattern. Within
-- each sample and arm, persons come in person_index order
-- (04_select_did_persons.sql). The order is total, so whoever reads it sees
-- the same sequence on any thread count. A person is in a sample's rows
-- only where it contributes there (04: some deviation can be non-zero), and
-- streamed only if it contributes to some sample: the others would add 0 to
-- every sum. Streamed chunk by chunk into sumSampleDeviations
-- (src/estimate/did-deviation-sums.ts); nothing is stored.
-- Grain: one row per observed person-month of the persons streamed, the
-- first month once per sample the person contributes to.
-- Reads: panel_person_month, did_sample_persons, did_observed_months.
-- Writes: (none; a streamed result).
with
members as (
    select
        persons.person_id,
        observed.person_number,
        persons.sample_no,
        persons.pattern,
        persons.person_index,
        persons.weight,
        $first_month + bit_position('1'::bit, observed.observed_mask) - 1 as first_month
    from did_sample_persons as persons
    join did_observed_months as observed using (person_id)
    where persons.contributes
),
streamed as (select distinct person_id, person_number from members)
select
    streamed.person_number::integer as person_number,
    coalesce(members.sample_no, -1)::integer as sample_no,
    coalesce(members.pattern, 0)::integer as pattern,
    coalesce(members.person_index, 0)::integer as person_index,
    coalesce(members.weight, 0)::double as weight,
    panel.event_month::integer as event_month,
    columns($outcome_pattern)::double
from panel_person_month as panel
join streamed using (person_id)
left join members on members.person_id = panel.person_id and members.first_month = panel.event_month
where panel.observed
order by streamed.person_number, panel.event_month, members.sample_no
