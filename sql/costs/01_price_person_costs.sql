-- Costs and the effect per matched person, discounted and in the prices of
-- one year: the units of the cost analysis and its bootstrap.
-- Intervention: every trajectory the person started from the index date to
-- the end of the follow-up (month $months_after), its cost_eur or, where
-- missing, the study's default for its programme ($treated_programme or the
-- other), in the prices of its start year.
-- Benefit: benefit_eur (the study's qualifying sickness and disability
-- benefits) over the observed event months 1..$months_after, in the prices
-- of each month's year: no such benefit is paid after death or state-pension
-- age, and none is seen after emigration.
-- Healthcare: with a healthcare_costs extract ($healthcare_from_extract), a
-- twelfth of the person's yearly claims (all categories) per observed event
-- month 1..$months_after, in the prices of that year; a person without
-- claims in a year costs 0 then. Without it, the study config's ASSUMED
-- amount per observed person-month, taken as in prices of $price_year.
-- Prices: amount x CPI($price_year) / CPI(year), the index in
-- consumer_price_index (the stage checks that it has every year first).
-- Discounting per follow-up year k = floor((event month - 1) / 12), a
-- trajectory started in the index month in year 0: costs / (1 + $discount_costs)^k.
-- Effect: the outcome at $effect_month (0/1, undiscounted), whether the
-- person is in that month's estimate (observed_person_months: observed, and
-- in a matched set or pair with an observed person of the other arm), and
-- the weight the matched ATT gives them then (with replacement the bootstrap
-- keeps it; with sets it re-takes the weights itself).
-- Matched set: the stratum or pair (matches.subclass); with replacement
-- there is none and the person stands alone.
-- Every term is rounded to DECIMAL(38, 10) before it is summed, so the sums
-- do not depend on the thread count.
-- Grain: one row per matched person (weight > 0).
-- Reads: cohort, matches, trajectories, panel_person_month, observed_person_months, healthcare_costs, consumer_price_index.
-- Writes: cost_persons.
create or replace table cost_persons as
with
price as (
    select year, (select index_value from consumer_price_index where year = $price_year) / index_value as to_price_year
    from consumer_price_index
),
months as (
    select person_id, year(calendar_month)::integer as year, 1 / pow(1 + $discount_costs, (event_month - 1) // 12) as discount, benefit_eur
    from panel_person_month
    where observed and event_month between 1 and $months_after
),
-- per person, calendar year and discount (follow-up year): the months and their benefit terms; a year's
-- claims term is the same for each such month, so it is taken once per group and counted (exact in DECIMAL)
-- rather than joined to every month: at 1,000,000 persons (20.5 M observed months) the statement took
-- 7.8-9.1 s with the claims joined to each month, 4.9-6.1 s so, for the same rows
month_groups as (
    select
        months.person_id,
        months.year,
        months.discount,
        any_value(price.to_price_year) as to_price_year,
        count(*) as months,
        sum((months.benefit_eur * price.to_price_year * months.discount)::decimal(38, 10)) as benefit_eur
    from months
    join price using (year)
    group by months.person_id, months.year, months.discount
),
-- the matched persons' claims only: at 1,000,000 persons 13.0 M claims of every person made 4.4 M sums, and the
-- statement took 5.8-6.4 s with them against 6.8-7.2 s
yearly_claims as (
    select person_id, year, sum(cost_eur) as claims_eur
    from healthcare_costs
    where person_id in (select person_id from matches where weight > 0)
    group by person_id, year
),
month_costs as (
    select
        month_groups.person_id,
        sum(month_groups.benefit_eur) as benefit_eur,
        sum(month_groups.months * (coalesce(yearly_claims.claims_eur, 0) / 12 * month_groups.to_price_year * month_groups.discount)::decimal(38, 10))
            as claims_eur,
        sum(month_groups.months * month_groups.discount::decimal(38, 10)) as discounted_months
    from month_groups
    left join yearly_claims using (person_id, year)
    group by month_groups.person_id
),
interventions as (
    select
        cohort.person_id,
        sum((
            coalesce(trajectories.cost_eur,
                case trajectories.programme when $treated_programme then $default_cost_treated_eur else $default_cost_control_eur end)
            * price.to_price_year
            / pow(1 + $discount_costs, greatest(datediff('month', cohort.index_month, trajectories.start_date) - 1, 0) // 12)
        )::decimal(38, 10)) as intervention_eur
    from cohort
    join trajectories using (person_id)
    join price on price.year = year(trajectories.start_date)
    where trajectories.start_date >= cohort.index_date
        and trajectories.start_date < cohort.index_month + to_months($months_after + 1)
    group by cohort.person_id
),
effect as (
    select
        person_id,
        case $effect_outcome when 'employed_any' then employed_any when 'employed_48h' then employed_48h end::integer as effect,
        weight as effect_weight
    from observed_person_months
    where subgroup = '' and weighting = 'matched' and event_month = $effect_month
)
select
    matches.person_id,
    matches.treated,
    coalesce(matches.subclass::varchar, matches.person_id) as matched_set,
    matches.weight,
    coalesce(interventions.intervention_eur, 0)::decimal(38, 10) as intervention_eur,
    coalesce(month_costs.benefit_eur, 0)::decimal(38, 10) as benefit_eur,
    coalesce(
        case when $healthcare_from_extract then month_costs.claims_eur
            else (month_costs.discounted_months
                * case matches.treated when 1 then $healthcare_treated_eur_per_month else $healthcare_control_eur_per_month end
            )::decimal(38, 10)
        end, 0)::decimal(38, 10) as healthcare_eur,
    (effect.person_id is not null)::integer as in_effect,
    coalesce(effect.effect, 0) as effect,
    coalesce(effect.effect_weight, 0)::decimal(38, 10) as effect_weight
from matches
left join interventions using (person_id)
left join month_costs using (person_id)
left join effect using (person_id)
where matches.weight > 0
order by matches.person_id
