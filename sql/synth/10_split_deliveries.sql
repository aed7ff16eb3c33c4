-- The clean rows of each delivery. One world (the state at $extract_date) is
-- delivered either at once ($deliveries = 1: delivery 1 holds every row) or
-- in two ($deliveries = 2):
--   delivery 1  the world as known at $first_extract_date: spells and
--               trajectories started by then, their end empty when it is
--               after it; payroll periods ending by then, about 2% of them
--               with wrong hours_paid and wage_eur; every person, with the
--               deaths and emigrations up to then
--   delivery 2  at $extract_date, every row new or changed since: spells and
--               trajectories started after delivery 1 or open in it (re-sent
--               closed or still open), payroll periods ending after
--               delivery 1 and the corrected versions of the wrong ones, and
--               every person (a `full` file) with deaths and emigrations up
--               to $extract_date
-- Applying delivery 2 to delivery 1 by key (the later version wins, the
-- full persons file replaces all persons) gives exactly the rows of the
-- single delivery. Only observed rows (the shared world and the person's own)
-- are delivered.
-- Grain: synth_delivered_<extract>, one row per delivery x clean row, values
-- as delivered.
-- Reads: synth_person, synth_life_event, synth_benefit_spell,
-- synth_payroll_period, synth_trajectory.
-- Writes: macro synth_delivered_spans, synth_delivered_person,
-- synth_delivered_spell, macro synth_delivered_periods (of the view
-- synth_delivered_period), synth_delivered_trajectory.

-- The rows of `spans` (any columns with start_date and end_date: spells,
-- trajectories) per delivery: delivery 1 the spans started by
-- first_extract_date, the end empty when it is after it; delivery 2 (only
-- with two deliveries) those started after it, or open or ending after it.
create or replace macro synth_delivered_spans(spans, first_extract_date, deliveries) as table
    select 1 as delivery_no, * replace (if(end_date <= first_extract_date, end_date, null) as end_date)
    from query_table(spans)
    where start_date <= first_extract_date
    union all by name
    select 2 as delivery_no, *
    from query_table(spans)
    where deliveries = 2 and (start_date > first_extract_date or end_date is null or end_date > first_extract_date);

create or replace table synth_delivered_person as
with
persons as (
    select synth_person.*, life.death_date, life.emigration_date
    from synth_person
    join synth_life_event as life using (person_no)
),
deliveries as (
    select 1 as delivery_no, $first_extract_date::date as extract_date
    union all
    select 2 as delivery_no, $extract_date::date as extract_date where $deliveries = 2
),
delivered as (
    select
        deliveries.delivery_no,
        persons.person_no,
        persons.person_id,
        persons.birth_year,
        persons.sex,
        persons.region,
        persons.birth_month,
        if(persons.death_date <= deliveries.extract_date, persons.death_date, null) as death_date,
        if(persons.emigration_date <= deliveries.extract_date, persons.emigration_date, null) as emigration_date
    from persons
    cross join deliveries
)
select * from delivered;

create or replace table synth_delivered_spell as
with
persons as (select person_no, person_id from synth_person),
spells as (
    select
        person_no, spell_no, spell_id, persons.person_id, benefit_type, start_date, end_date, monthly_amount_eur,
        incapacity_cause
    from synth_benefit_spell as spells
    join persons using (person_no)
    where spells.is_observed
)
select * from synth_delivered_spans('spells', $first_extract_date::date, $deliveries);

-- One pass over the payroll periods: each goes to the deliveries it is in
-- (unnest), rather than one filtered read per delivery of a CTE, which DuckDB
-- materialised since it was read twice (100,000 persons: 3.2 -> 1.1-1.4 s).
-- A view, not a table: its readers (sql/synth/12, 13, 16 and each
-- delivery's file, src/synth/write-extracts.ts) read it once each, and
-- storing its 22 M rows at 1,000,000 persons cost more than computing them
-- again where they are read. A view holds no parameters, so this is a table
-- macro, and the view synth_delivered_period calls it with the world's
-- values (src/synth/generate-tables.ts). Read from a table of one row
-- instead, the settings made DuckDB join it to every period, in no order.
-- The rows keep synth_payroll_period's order, so each delivery's are in
-- period_key order: one table scanned and no join (person_id comes with
-- the period), so each delivery's file is written without a sort
-- (src/synth/write-extracts.ts).
create or replace macro synth_delivered_periods(seed, deliveries, first_extract_date) as table
with
periods as (
    select
        period_key, person_id, job_id, employer_id, period_start, period_end, hours_paid, wage_eur, job_type,
        deliveries = 2
            and period_end <= first_extract_date
            and synth_uniform(seed, period_key, 'wrong-in-first-delivery') < 0.02
            as is_wrong_in_first_delivery
    from synth_payroll_period
    where is_observed
),
split as (
    select
        *,
        unnest(case
            when period_end > first_extract_date then [2]
            when is_wrong_in_first_delivery then [1, 2]
            else [1]
        end) as delivery_no
    from periods
    where deliveries = 2 or period_end <= first_extract_date
),
wrong as (
    select
        *,
        if(delivery_no = 1 and is_wrong_in_first_delivery,
           1.1 + 0.5 * synth_uniform(seed, period_key, 'wrong-factor'), null) as wrong_factor
    from split
)
-- period_id made last, so a reader's filter on delivery_no comes before it, and a
-- reader that does not use it (sql/synth/16) does not make it
select
    delivery_no, period_key, synth_period_id(seed, period_key) as period_id, person_id,
    job_id, employer_id, period_start, period_end,
    coalesce(round(hours_paid * wrong_factor, 2)::decimal(18, 2), hours_paid) as hours_paid,
    coalesce(round(wage_eur * wrong_factor, 2)::decimal(18, 2), wage_eur) as wage_eur,
    job_type,
    is_wrong_in_first_delivery
from wrong;

create or replace table synth_delivered_trajectory as
with
persons as (select person_no, person_id from synth_person),
trajectories as (
    select trajectories.*, persons.person_id
    from synth_trajectory as trajectories
    join persons using (person_no)
)
select * from synth_delivered_spans('trajectories', $first_extract_date::date, $deliveries)
