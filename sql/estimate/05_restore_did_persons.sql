-- Sample $sample_no's persons, kept by 04_keep_did_sample_persons.sql, as
-- did_persons again (the columns of 04_select_did_persons.sql) for the
-- steps that fit its DiD (05 to 10).
-- Grain: one row per person of the sample.
-- Reads: did_sample_persons, did_sample_patterns. Writes: did_persons.
create or replace table did_persons as
select
    persons.person_id,
    persons.treated,
    persons.weight,
    persons.months_observed,
    patterns.observed_months,
    persons.pattern,
    persons.person_index,
    persons.months_mask,
    persons.contributes
from did_sample_persons as persons
join did_sample_patterns as patterns using (sample_no, pattern)
where persons.sample_no = $sample_no
order by persons.person_index
