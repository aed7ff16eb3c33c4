-- Deaths, emigration and the state-pension (AOW) date: the events that end
-- observation. They are the same in both potential worlds and depend only on
-- the first programme, never on the job frailty, so censoring is independent
-- of the potential outcomes given the matching cells.
--   trajectory persons  death after the index date at 1.2%/year when the
--                       first programme is TVR, 0.5%/year when it is IPS;
--                       emigration at 0.4%/year in both; never on or before
--                       the index date
--   background persons  death at 1%/year and emigration at 0.5%/year from
--                       2005-01-01 on
-- Only the earlier of the two happens (the register hears of no death
-- abroad). Dates are drawn to the day, so some fall on the first or the last
-- day of a month. They are the world's dates: an extract shows those up to
-- its extract date.
--   state_pension_date   the day the true birth date reaches the AOW age
--   state_pension_month  the first month not observed, as the pipeline derives
--                        it from the extract: birth year and shown birth
--                        month, January when none is shown
-- Grain: one row per person.
-- Reads: synth_person, state_pension_month (sql/reference/01_create_state_pension_age.sql).
-- Writes: synth_life_event.
create or replace table synth_life_event as
with
persons as (select * from synth_person),
drawn as (
    select
        person_no,
        birth_year,
        true_birth_month,
        birth_day,
        birth_month,
        case
            when has_trajectory then index_date + 1
                + synth_exponential_days($seed, person_no, 'death', if(programme = 'TVR', 0.012, 0.005))
            else date '2005-01-01' + synth_exponential_days($seed, person_no, 'death', 0.01)
        end as death_draw,
        case
            when has_trajectory then index_date + 1 + synth_exponential_days($seed, person_no, 'emigration', 0.004)
            else date '2005-01-01' + synth_exponential_days($seed, person_no, 'emigration', 0.005)
        end as emigration_draw
    from persons
),
pension_months as (select * from state_pension_month),
pensioned as (
    select
        drawn.person_no,
        if(death_draw <= emigration_draw, death_draw, null) as death_date,
        if(emigration_draw < death_draw, emigration_draw, null) as emigration_date,
        (true_month.state_pension_month + (drawn.birth_day - 1))::date as state_pension_date,
        shown_month.state_pension_month
    from drawn
    left join pension_months as true_month
        on true_month.birth_year = drawn.birth_year and true_month.birth_month = drawn.true_birth_month
    left join pension_months as shown_month
        on shown_month.birth_year = drawn.birth_year and shown_month.birth_month = coalesce(drawn.birth_month, 1)
)
select * from pensioned
