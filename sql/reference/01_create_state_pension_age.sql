-- The statutory state-pension (AOW) age by date of birth, and the calendar
-- month in which a person born in a given month reaches it.
--
-- Source: Algemene Ouderdomswet (AOW) article 7a, as amended by the Wet
-- verhoging AOW- en pensioenrichtleeftijd, the Wet versnelde verhoging
-- AOW-leeftijd and the Wet temporisering verhoging AOW-leeftijd (2019),
-- which fix the age per calendar year: 65 until 2012,
-- 65+1m (2013), 65+2m (2014), 65+3m (2015), 65+6m (2016), 65+9m (2017),
-- 66 (2018), 66+4m (2019-2021), 66+7m (2022), 66+10m (2023), 67 (2024-2027);
-- from 2028 on the age follows life expectancy and is set five years ahead:
-- 67+3m for 2028, 2029 and 2030. The birth-date ranges below follow from
-- those years (a person reaches the age of the year in which they reach it;
-- test/reference/state-pension-age.test.ts checks this), as in the SVB's
-- table "AOW-leeftijd" by date of birth.
-- ASSUMPTION: for persons reaching the age after 2030 (born from October
-- 1963) the age is not yet fixed by law here; 67+3m is assumed. No study
-- with an index date before 2026 and a 36-month follow-up depends on it.
--
-- A person reaches the age on the day it is reached (benefits for sickness
-- and disability end then); that calendar month is the first one not
-- observed. With the birth month unknown, January is assumed: the earliest
-- month possible, so no month after the age is ever counted as observed.
-- Grain: state_pension_age, one row per birth-date range;
-- state_pension_month, one row per birth year x birth month (1900-2100, the
-- contract's birth years).
-- Reads: (none). Writes: state_pension_age, state_pension_month.
create or replace table state_pension_age as
select born_from::date as born_from, born_before::date as born_before, age_years, age_months
from (values
    ('1900-01-01', '1948-01-01', 65, 0),
    ('1948-01-01', '1948-12-01', 65, 1),
    ('1948-12-01', '1949-11-01', 65, 2),
    ('1949-11-01', '1950-10-01', 65, 3),
    ('1950-10-01', '1951-07-01', 65, 6),
    ('1951-07-01', '1952-04-01', 65, 9),
    ('1952-04-01', '1953-01-01', 66, 0),
    ('1953-01-01', '1955-09-01', 66, 4),
    ('1955-09-01', '1956-06-01', 66, 7),
    ('1956-06-01', '1957-03-01', 66, 10),
    ('1957-03-01', '1961-01-01', 67, 0),
    ('1961-01-01', '1963-10-01', 67, 3),
    ('1963-10-01', '2101-01-01', 67, 3)
) as ages(born_from, born_before, age_years, age_months);

create or replace table state_pension_month as
with
birth_months as (
    select unnest(generate_series(date '1900-01-01', date '2100-12-01', interval 1 month))::date as birth_month_start
)
select
    year(birth_month_start)::integer as birth_year,
    month(birth_month_start)::integer as birth_month,
    (birth_month_start + to_months(age_years * 12 + age_months))::date as state_pension_month
from birth_months
join state_pension_age
    on birth_months.birth_month_start >= state_pension_age.born_from
    and birth_months.birth_month_start < state_pension_age.born_before
order by birth_year, birth_month
