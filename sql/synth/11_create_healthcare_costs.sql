-- Yearly healthcare costs (the optional healthcare_costs extract, as in the
-- Zvw claims register) of the trajectory persons, and the rows of each
-- delivery. Background persons are followed by no study and have none.
-- Years: from two years before the index year to three after it (the
-- look-back and the follow-up), up to the last complete year before the
-- extract date and the year the person dies or emigrates (that year's
-- costs in proportion to its days up to the event).
-- Per year and claim category a person has costs with a probability, an
-- amount drawn lognormal around the category's median, times the person's
-- healthcare frailty (lognormal, sigma 0.4, the same every year):
--   MENTAL_HEALTH  target group SMI: 90%, median EUR 4,500 (sigma 0.9);
--                  CMD: 75%, EUR 1,500; none: 60%, EUR 2,000
--   GP             85%, EUR 300 (sigma 0.5)
--   PHARMACY       SMI: 85%, EUR 900; others 70%, EUR 350 (sigma 0.8)
--   HOSPITAL       30%, EUR 2,500 (sigma 1.1)
--   OTHER          25%, EUR 400 (sigma 0.9)
-- The target group is the first trajectory's. After the index year, the
-- mental-health costs of persons whose first programme is IPS are 10% lower.
-- Nothing in truth.json depends on these rows.
-- Deliveries: with one, delivery 1 holds every year. With two, delivery 1
-- holds the years before the year of $first_extract_date, the last of them
-- provisional (about 75% of its rows 3-20% below the final amount: claims
-- still coming in), and delivery 2 re-sends that year with the final
-- amounts and brings the later years. Applying delivery 2 to delivery 1 by
-- key (person_id, year, category) gives the rows of the single delivery.
-- cost_row_no = person_no * 1024 + (year - 2000) * 8 + category number
-- (0-4): unique, and in file order (person, year, category).
-- Draws: streams healthcare-* per cost_row_no, healthcare-frailty per
-- person_no; no other table draws from them, so leaving the extract out of
-- a delivery changes no other file.
-- The world's cost rows (person x year x category with costs) are not
-- stored apart, nothing else reads them (at 1,000,000 persons, 7.3 s of
-- CPU with them stored, 5.4 without). The rows are made from one table of
-- the persons, stored in person_no order, through UNNEST, expressions and
-- WHERE, which keep the rows' order (as sql/synth/06): each delivery's rows
-- are stored in cost_row_no order, and its file is written without a sort.
-- Grain: synth_healthcare_person (temporary), one row per trajectory person;
-- synth_delivered_healthcare_cost, one row per delivery x clean row.
-- Reads: synth_person, synth_life_event, synth_trajectory.
-- Writes: synth_delivered_healthcare_cost.
create or replace temp table synth_healthcare_person as
select
    persons.person_no,
    persons.person_id,
    persons.index_year,
    persons.programme,
    first_trajectory.target_group,
    least(life.death_date, life.emigration_date) as left_date,
    exp(0.4 * synth_normal($seed, persons.person_no, 'healthcare-frailty')) as frailty
from synth_person as persons
join synth_life_event as life using (person_no)
left join synth_trajectory as first_trajectory on first_trajectory.trajectory_no = persons.person_no * 8 + 1
where persons.has_trajectory
order by persons.person_no;

create or replace table synth_delivered_healthcare_cost as
with
persons as (select * from synth_healthcare_person),
person_years as (
    select persons.*, unnest(range(index_year - 2, index_year + 4)) as year
    from persons
),
followed as (
    select *
    from person_years
    where year <= year($extract_date::date) - 1 and (left_date is null or year <= year(left_date))
),
-- categories 0-4 by UNNEST, not a join, which would not keep the order
category_numbers as (
    select *, unnest(range(5)) as category_no
    from followed
),
category_rows as (
    select
        *,
        ['MENTAL_HEALTH', 'GP', 'HOSPITAL', 'PHARMACY', 'OTHER'][category_no + 1] as category,
        person_no * 1024 + (year - 2000) * 8 + category_no as cost_row_no
    from category_numbers
),
profiled as (
    select
        *,
        case category
            when 'MENTAL_HEALTH' then case target_group when 'SMI' then 0.90 when 'CMD' then 0.75 else 0.60 end
            when 'GP' then 0.85
            when 'PHARMACY' then if(target_group = 'SMI', 0.85, 0.70)
            when 'HOSPITAL' then 0.30
            else 0.25
        end as claim_probability,
        case category
            when 'MENTAL_HEALTH' then case target_group when 'SMI' then 4500 when 'CMD' then 1500 else 2000 end
            when 'GP' then 300
            when 'PHARMACY' then if(target_group = 'SMI', 900, 350)
            when 'HOSPITAL' then 2500
            else 400
        end as median_eur,
        case category when 'GP' then 0.5 when 'PHARMACY' then 0.8 when 'HOSPITAL' then 1.1 else 0.9 end as sigma,
        if(category = 'MENTAL_HEALTH' and programme = 'IPS' and year > index_year, 0.9, 1.0) as ips_factor,
        if(year = year(left_date),
           (left_date - make_date(year, 1, 1) + 1) / (make_date(year + 1, 1, 1) - make_date(year, 1, 1)),
           1.0) as share_of_year
    from category_rows
),
claimed as (
    select
        person_no,
        cost_row_no,
        person_id,
        year::integer as year,
        category,
        round(
            median_eur * exp(sigma * synth_normal($seed, cost_row_no, 'healthcare-cost')) * frailty * ips_factor
            * share_of_year,
            2
        )::decimal(18, 2) as cost_eur
    from profiled
    where synth_uniform($seed, cost_row_no, 'healthcare-claimed') < claim_probability
),
-- each row unnested into the deliveries that hold it (as synth_delivered_period in sql/synth/10)
split as (
    select
        person_no, cost_row_no, person_id, year, category, cost_eur,
        unnest(case
            when $deliveries = 1 or year < year($first_extract_date::date) - 1 then [1]
            when year = year($first_extract_date::date) - 1 then [1, 2]
            else [2]
        end) as delivery_no
    from claimed
),
provisional as (
    select
        *,
        $deliveries = 2
            and delivery_no = 1
            and year = year($first_extract_date::date) - 1
            and synth_uniform($seed, cost_row_no, 'healthcare-provisional') < 0.75
            as is_provisional
    from split
)
select
    delivery_no, person_no, cost_row_no, person_id, year, category,
    if(is_provisional,
       round(cost_eur * (0.80 + 0.17 * synth_uniform($seed, cost_row_no, 'healthcare-provisional-share')), 2)::decimal(18, 2),
       cost_eur) as cost_eur
from provisional;

-- Only this file reads it.
drop table synth_healthcare_person
