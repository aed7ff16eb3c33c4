-- The calendar months each extract covers, as spans without gaps: the union
-- of the coverage of its delivered files (extract_coverage: stated in
-- delivery.json or read from the rows) since its latest full file, which
-- replaced everything before it. Adjacent or overlapping ranges merge; a
-- month no file covers splits the extract into two spans.
-- Months are first days of the month; span_to is the last covered month.
-- Grain: one row per extract x span.
-- Reads: extract_coverage. Writes: coverage_spans.
create or replace table coverage_spans as
with
files as (
    select *, strftime(extract_date, '%Y-%m-%d') || ' ' || delivery_id as version
    from extract_coverage
),
since_full as (
    select *
    from files
    qualify version >= coalesce(max(case when mode = 'full' then version end) over (partition by extract), '')
),
ordered as (
    select
        *,
        max(coverage_to) over (
            partition by extract order by coverage_from, coverage_to, version
            rows between unbounded preceding and 1 preceding
        ) as covered_to_before
    from since_full
),
islands as (
    select
        *,
        sum(case when covered_to_before is null or coverage_from > covered_to_before + interval 1 month then 1 else 0 end) over (
            partition by extract order by coverage_from, coverage_to, version
            rows between unbounded preceding and current row
        ) as span_no
    from ordered
),
spans as (
    select
        extract,
        span_no::integer as span_no,
        min(coverage_from) as span_from,
        max(coverage_to) as span_to,
        string_agg(distinct source, ' and ' order by source) as source
    from islands
    group by extract, span_no
)
select * from spans
order by extract, span_no
