-- Costs per person over the follow-up, summed per matched set and arm.
-- Intervention cost: the first trajectory's cost_eur, or the study's default
-- for the programme where it is missing. Benefit cost: benefit_eur over event
-- months 1..$months_after. Healthcare cost: an assumed amount per person-month
-- from the study config (0 when not given). Effect: the outcome at $effect_month.
-- Weighted sums are rounded to DECIMAL(38,10) before summing (thread-independent).
-- Grain: one row per matched set (subclass, or the person when matching used
-- replacement) x treated.
-- Reads: cohort, matches, panel_person_month. Writes: matched_set_costs.
create or replace table matched_set_costs as
with
matched as (
    select cohort.person_id, cohort.arm, matches.treated, matches.weight,
        coalesce(matches.subclass::varchar, cohort.person_id) as matched_set,
        coalesce(cohort.trajectory_cost_eur,
            case matches.treated when 1 then $default_cost_treated_eur else $default_cost_control_eur end) as intervention_eur,
        case matches.treated when 1 then $healthcare_treated_eur_per_month else $healthcare_control_eur_per_month end
            * $months_after as healthcare_eur
    from cohort
    join matches using (person_id)
    where matches.weight > 0
),
follow_up as (
    select
        person_id,
        sum(benefit_eur) filter (where event_month between 1 and $months_after) as benefit_eur,
        bool_or(case $effect_outcome
            when 'employed_any' then employed_any
            when 'employed_48h' then employed_48h
        end) filter (where event_month = $effect_month) as is_effect
    from panel_person_month
    group by person_id
),
per_person as (
    select matched.*, coalesce(follow_up.benefit_eur, 0) as benefit_eur, coalesce(follow_up.is_effect, false)::integer as effect
    from matched
    left join follow_up using (person_id)
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
        sum((weight * effect)::decimal(38, 10))::double as sum_w_effect
    from per_person
    group by matched_set, treated
)
select * from sums
order by matched_set, treated
