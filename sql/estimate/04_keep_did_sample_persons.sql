-- The sample's persons and patterns (did_persons and did_patterns, from
-- 04_select_did_persons.sql) kept as sample $sample_no of did_sample_persons
-- and did_sample_patterns, so that one stream (06) sums every sample and
-- each sample's fit (05_restore_did_persons.sql) finds them again.
-- Grain: did_sample_persons, one row per sample x person of did_persons;
-- did_sample_patterns, one row per sample x pattern.
-- Reads: did_persons, did_patterns. Writes: did_sample_persons, did_sample_patterns.
create table if not exists did_sample_persons as
select 0::integer as sample_no, * from did_persons limit 0;

create table if not exists did_sample_patterns as
select 0::integer as sample_no, * from did_patterns limit 0;

insert into did_sample_persons
select $sample_no::integer as sample_no, * from did_persons;

insert into did_sample_patterns
select $sample_no::integer as sample_no, * from did_patterns
