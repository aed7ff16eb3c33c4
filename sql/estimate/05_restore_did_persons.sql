-- Sample $sample_no's persons and patterns, kept by
-- 04_keep_did_sample_persons.sql, as did_persons and did_patterns again for
-- the steps that fit its DiD (05 to 10), temporary as 04 makes them.
-- Grain: did_persons, one row per person of the sample; did_patterns, one
-- row per pattern.
-- Reads: did_sample_persons, did_sample_patterns. Writes: did_persons, did_patterns.
create or replace temp table did_persons as
select * exclude (sample_no) from did_sample_persons where sample_no = $sample_no;

create or replace temp table did_patterns as
select * exclude (sample_no) from did_sample_patterns where sample_no = $sample_no
