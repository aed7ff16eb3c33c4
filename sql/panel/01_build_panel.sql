-- Monthly paid-work and benefit outcomes around the index month.
-- Event month 0 is the calendar month of the index date. A person-month is
-- observed when its calendar month lies inside the coverage of both the
-- employment and the benefit extract and before the person's censoring
-- month (cohort.censoring_event_month: death, emigration, state-pension age,
-- or a control's start of the treated programme when the study censors it).
-- An unobserved month has null outcomes: it is never read as zero.
-- Benefit euros are the monthly amount times the share of the month's days
-- on the spell. on_benefit / benefit_eur: the study's qualifying benefits
-- ($qualifying_benefits); on_any_benefit / any_benefit_eur: every benefit,
-- WW and BIJSTAND included.
-- Built a chunk of persons at a time (panel_chunks: contiguous person_id
-- ranges, $chunk the one to add), so its joins hold one chunk's rows however
-- large the cohort; chunks are added in person_id order, so the table is in
-- (person_id, event_month) order as a whole. The joins, the grouping and the
-- sort run on one integer per person-month (person_key, in person_id order,
-- from panel_chunks): at 1,000,000 persons the stage's statements took
-- 43.6-48.8 s on the person_id text and 36.0-41.1 s on the integer, the same
-- rows in the same order.
-- person_id is stored dictionary-compressed: a person's months are stored
-- together, so a segment holds a few thousand persons (DuckDB's analysis
-- chose a dictionary for it anyway; 27 M of the 1,000,000-person world's
-- rows took 6.1-7.1 s of CPU to write so, against 8.2-8.5 s analysed).
-- person_key, the last column, stays in the warehouse (publishing leaves
-- it out: src/publish/restricted-tables.ts): the statements that join a
-- sample's persons to the panel join on it, not on the person_id text
-- (estimate/00_profile_sample_persons.sql).
-- Grain: one row per cohort person_id x event_month ($months_before before
-- to $months_after after index).
-- Reads: cohort, panel_chunks, coverage_spans, person_month_work, benefit_spells.
-- Writes: panel_person_month (insert).
create table if not exists panel_person_month (
    person_id varchar using compression dictionary,
    event_month integer,
    calendar_month date,
    observed boolean,
    employed_any boolean,
    employed_48h boolean,
    hours decimal(18, 2),
    wage_eur decimal(18, 2),
    on_benefit boolean,
    benefit_eur decimal(18, 2),
    on_any_benefit boolean,
    any_benefit_eur decimal(18, 2),
    person_key integer
);
insert into panel_person_month
with
-- a person-month is the one integer person_key x months + (event_month + $months_before)
chunk as (
    select
        panel_chunks.person_key,
        cohort.person_id,
        cohort.index_month,
        cohort.censoring_event_month
    from panel_chunks
    join cohort using (person_id)
    where panel_chunks.chunk = $chunk
),
covered_months as (
    select calendar_month
    from (
        select extract, unnest(generate_series(span_from, span_to, interval 1 month))::date as calendar_month
        from coverage_spans
        where extract in ('employment_periods', 'benefit_spells')
    )
    group by calendar_month
    having count(distinct extract) = 2
),
event_months as (
    select
        chunk.person_key,
        chunk.person_id,
        offsets.event_month::integer as event_month,
        (chunk.index_month + to_months(offsets.event_month::integer))::date as calendar_month,
        chunk.censoring_event_month
    from chunk
    cross join range(-$months_before, $months_after + 1) as offsets(event_month)
),
flagged_months as (
    select
        event_months.person_key::bigint * ($months_before + $months_after + 1) + (event_months.event_month + $months_before) as person_month,
        event_months.person_key,
        event_months.person_id,
        event_months.event_month,
        event_months.calendar_month,
        covered_months.calendar_month is not null
            and (event_months.censoring_event_month is null or event_months.event_month < event_months.censoring_event_month)
            as observed
    from event_months
    left join covered_months using (calendar_month)
),
spell_months as (
    select
        months.person_month,
        list_contains($qualifying_benefits, spells.benefit_type) as is_qualifying,
        (
            spells.monthly_amount_eur
            * (least(coalesce(spells.end_date, last_day(months.calendar_month)), last_day(months.calendar_month))
                - greatest(spells.start_date, months.calendar_month) + 1)
            / day(last_day(months.calendar_month))
        )::decimal(18, 4) as month_eur
    from flagged_months as months
    join (select chunk.person_key, spells.* from benefit_spells as spells join chunk using (person_id)) as spells
        on spells.person_key = months.person_key
        and spells.start_date <= last_day(months.calendar_month)
        and (spells.end_date is null or spells.end_date >= months.calendar_month)
    where months.observed
),
benefit_months as (
    select
        person_month,
        bool_or(is_qualifying) as on_benefit,
        sum(month_eur) filter (where is_qualifying) as benefit_eur,
        sum(month_eur) as any_benefit_eur
    from spell_months
    group by person_month
),
work as (
    -- the person's months in the panel's window only: a month outside it would take a neighbouring person's key
    select
        chunk.person_key::bigint * ($months_before + $months_after + 1)
            + (date_diff('month', chunk.index_month, work.calendar_month) + $months_before) as person_month,
        work.employed_any,
        work.employed_48h,
        work.competitive_hours,
        work.wage_eur
    from person_month_work as work
    join chunk using (person_id)
    where work.calendar_month between (chunk.index_month - to_months($months_before))::date
        and (chunk.index_month + to_months($months_after))::date
),
joined as (
    -- the sums are DECIMAL(38, 4); each goes to DECIMAL(18, 4) (exact) before it is rounded to cents:
    -- DuckDB rounds a DECIMAL(38) to DECIMAL(18, 2) about 40 times slower than a DECIMAL(18) (same value);
    -- the hours thresholds were decided on the exact hours (person_month_work), not on the rounded ones
    select
        months.person_month,
        months.person_id,
        months.event_month,
        months.calendar_month,
        months.observed,
        case when months.observed then coalesce(work.employed_any, false) end as employed_any,
        case when months.observed then coalesce(work.employed_48h, false) end as employed_48h,
        case when months.observed then coalesce(work.competitive_hours, 0) end::decimal(18, 4)::decimal(18, 2) as hours,
        case when months.observed then coalesce(work.wage_eur, 0) end::decimal(18, 4)::decimal(18, 2) as wage_eur,
        case when months.observed then coalesce(benefit_months.on_benefit, false) end as on_benefit,
        case when months.observed then coalesce(benefit_months.benefit_eur, 0) end::decimal(18, 4)::decimal(18, 2) as benefit_eur,
        case when months.observed then benefit_months.any_benefit_eur is not null end as on_any_benefit,
        case when months.observed then coalesce(benefit_months.any_benefit_eur, 0) end::decimal(18, 4)::decimal(18, 2) as any_benefit_eur,
        months.person_key
    from flagged_months as months
    left join work using (person_month)
    left join benefit_months using (person_month)
)
select * exclude (person_month) from joined
-- person_month orders as (person_id, event_month) does
order by person_month
