-- Costs per person over the follow-up, summed per matched set and arm.
-- Intervention cost: every trajectory the person started from the index date
-- to the end of the follow-up (month $months_after), its cost_eur or, where
-- missing, the study's default for its programme ($treated_programme or the
-- other). Benefit cost: benefit_eur (the
-- study's qualifying benefits) over the observed event months
-- 1..$months_after: no sickness or disability benefit is paid after death or
-- state-pension age, and none is seen after emigration. Healthcare cost: an
-- assumed amount per observed person-month from the study config (0 when not
-- given). Effect: the outcome at $effect_month over the persons in the
-- estimate then, with that month's weights (sql/estimate/00), and those
-- weights' sum as its denominator.
-- Weighted sums are rounded to DECIMAL(38,10) before summing (thread-independent).
-- Grain: one row per matched set (subclass, or the person when matching used
-- replacement) x treated.
-- Reads: cohort, matches, trajectories, panel_person_month, observed_person_months. Writes: matched_set_costs.
create or replace table matched_set_costs as
with
interventions as (
    select
        cohort.person_id,
        sum(coalesce(trajectories.cost_eur,
            case trajectories.programme when $treated_programme then $default_cost_treated_eur else $default_cost_control_eur end
        )) as intervention_eur
    from cohort
    join trajectories using (person_id)
    where trajectories.start_date >= cohort.index_date
        and trajectories.start_date < cohort.index_month + to_months($months_after + 1)
    group by cohort.person_id
),
matched as (
    select cohort.person_id, matches.treated, matches.weight,
        coalesce(matches.subclass::varchar, cohort.person_id) as matched_set,
        interventions.intervention_eur,
        case matches.treated when 1 then $healthcare_treated_eur_per_month else $healthcare_control_eur_per_month end
            as healthcare_eur_per_month
    from cohort
    join matches using (person_id)
    join interventions using (person_id)
    where matches.weight > 0
),
follow_up as (
    select
        person_id,
        coalesce(sum(benefit_eur) filter (where event_month between 1 and $months_after), 0) as benefit_eur,
        count(*) filter (where observed and event_month between 1 and $months_after) as observed_months
    from panel_person_month
    group by person_id
),
effect as (
    select
        person_id,
        weight as effect_weight,
        case $effect_outcome when 'employed_any' then employed_any when 'employed_48h' then employed_48h end::integer as effect
    from observed_person_months
    where subgroup = '' and weighting = 'matched' and event_month = $effect_month
),
per_person as (
    select
        matched.*,
        follow_up.benefit_eur,
        matched.healthcare_eur_per_month * follow_up.observed_months as healthcare_eur,
        coalesce(effect.effect_weight, 0) as effect_weight,
        coalesce(effect.effect, 0) as effect
    from matched
    join follow_up using (person_id)
    left join effect using (person_id)
),
sums as (
    select
        matched_set,
        treated,
        count(*) as persons,
        sum(weight::decimal(38, 10))::double as sum_w,
        sum((weight * intervention_eur)::decimal(38, 10))::double as sum_w_intervention_eur,
        sum((weight * benefit_eur)::decimal(38, 10))::double as sum_w_benefit_eur,
        sum((weight * healthcare_eur)::decimal(38, 10))::double as sum_w_healthcare_eur,
        sum((effect_weight * effect)::decimal(38, 10))::double as sum_w_effect,
        sum(effect_weight::decimal(38, 10))::double as sum_w_effect_base
    from per_person
    group by matched_set, treated
)
select * from sums
order by matched_set, treated
