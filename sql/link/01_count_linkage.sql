-- Linkage report: per extract, how its rows link to persons.
-- Orphans (person_id not in persons) and duplicate keys are rejected at
-- ingest, so they are counted from the rejects ledger.
-- Grain: one row per extract.
-- Reads: ingested_files, rejects, persons, benefit_spells, employment_periods,
-- trajectories, cohort_candidates. Writes: linkage.
create or replace table linkage as
with
files as (
    select
        extract,
        sum(rows_read)::bigint as rows_read,
        sum(rows_accepted)::bigint as rows_accepted,
        sum(rows_rejected)::bigint as rows_rejected
    from ingested_files
    group by extract
),
ledger as (
    select
        extract,
        count(*) filter (where rule_id like '%.unknown_person') as orphan_rows,
        count(*) filter (where rule_id like '%.duplicate') as duplicate_key_rows
    from rejects
    group by extract
),
persons_per_extract as (
    select 'persons' as extract, count(distinct person_id) as persons from persons
    union all
    select 'benefit_spells', count(distinct person_id) from benefit_spells
    union all
    select 'employment_periods', count(distinct person_id) from employment_periods
    union all
    select 'trajectories', count(distinct person_id) from trajectories
),
report as (
    select
        files.extract,
        files.rows_read,
        files.rows_accepted,
        files.rows_rejected,
        persons_per_extract.persons,
        files.rows_accepted as linked_rows,
        coalesce(ledger.orphan_rows, 0) as orphan_rows,
        coalesce(ledger.duplicate_key_rows, 0) as duplicate_key_rows
    from files
    left join ledger using (extract)
    left join persons_per_extract using (extract)
)
select * from report
order by case extract when 'persons' then 1 when 'benefit_spells' then 2 when 'employment_periods' then 3 else 4 end
