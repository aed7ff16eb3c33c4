-- Monthly paid-work and benefit outcomes around the index month.
-- Event month 0 is the calendar month of the index date. Benefit euros are
-- the monthly amount times the share of the month's days on the spell.
-- Grain: one row per cohort person_id x event_month ($months_before before
-- to $months_after after index).
-- Reads: cohort, person_month_work, benefit_spells. Writes: panel_person_month.
create or replace table panel_person_month as
with
event_months as (
    select
        cohort.person_id,
        offsets.event_month::integer as event_month,
        (cohort.index_month + to_months(offsets.event_month::integer))::date as calendar_month
    from cohort
    cross join range(-$months_before, $months_after + 1) as offsets(event_month)
),
benefit_months as (
    select
        event_months.person_id,
        event_months.event_month,
        sum((
            monthly_amount_eur
            * (least(coalesce(spells.end_date, last_day(event_months.calendar_month)), last_day(event_months.calendar_month))
                - greatest(spells.start_date, event_months.calendar_month) + 1)
            / day(last_day(event_months.calendar_month))
        )::decimal(18, 4)) as benefit_eur
    from event_months
    join benefit_spells as spells
        on spells.person_id = event_months.person_id
        and spells.start_date <= last_day(event_months.calendar_month)
        and (spells.end_date is null or spells.end_date >= event_months.calendar_month)
    group by event_months.person_id, event_months.event_month
),
joined as (
    select
        event_months.person_id,
        event_months.event_month,
        event_months.calendar_month,
        coalesce(work.competitive_hours, 0)::decimal(18, 2) as hours,
        coalesce(work.wage_eur, 0)::decimal(18, 2) as wage_eur,
        benefit_months.benefit_eur is not null as on_benefit,
        coalesce(benefit_months.benefit_eur, 0)::decimal(18, 2) as benefit_eur
    from event_months
    left join person_month_work as work using (person_id, calendar_month)
    left join benefit_months using (person_id, event_month)
),
flagged as (
    select
        person_id,
        event_month,
        calendar_month,
        hours >= $min_hours_any as employed_any,
        hours >= $min_hours_48h as employed_48h,
        hours,
        wage_eur,
        on_benefit,
        benefit_eur
    from joined
)
select * from flagged
order by person_id, event_month
