-- Sums of each outcome per arm, event month, matched set and matching
-- weight: everything the weighted means and their variances need. Grouping
-- by weight keeps the sums exact (DECIMAL), so results are the same whatever
-- the thread count.
-- Two weightings: 'matched' (matching weights, matched persons only, per
-- matched set) and 'unweighted' (every person of the sample, weight 1, no sets).
-- Samples: the study's matched cohort (subgroup and level '') and each
-- subgroup level's own matching (subgroup_matches), for the two employment
-- outcomes only.
-- Grain: one row per subgroup x level x weighting x outcome x event_month x treated x subclass x weight.
-- Reads: panel_person_month, matches, subgroup_matches. Writes: outcome_sums.
create or replace table outcome_sums as
with
samples as (
    select '' as subgroup, '' as level, person_id, treated, subclass, weight from matches
    union all
    select subgroup, level, person_id, treated, subclass, weight from subgroup_matches
),
panel as (
    select
        samples.subgroup,
        samples.level,
        samples.treated,
        samples.weight,
        samples.subclass,
        panel_person_month.event_month,
        panel_person_month.employed_any::integer::decimal(18, 4) as employed_any,
        panel_person_month.employed_48h::integer::decimal(18, 4) as employed_48h,
        panel_person_month.hours::decimal(18, 4) as hours,
        panel_person_month.wage_eur::decimal(18, 4) as wage_eur,
        panel_person_month.on_benefit::integer::decimal(18, 4) as on_benefit,
        panel_person_month.benefit_eur::decimal(18, 4) as benefit_eur
    from panel_person_month
    join samples using (person_id)
),
long as (
    select *
    from (
        unpivot panel
        on employed_any, employed_48h, hours, wage_eur, on_benefit, benefit_eur
        into name outcome value y
    )
    where subgroup = '' or outcome in ('employed_any', 'employed_48h')
),
weightings as (
    select subgroup, level, 'matched' as weighting, treated, subclass, weight, event_month, outcome, y from long where weight > 0
    union all
    select subgroup, level, 'unweighted', treated, null, 1.0, event_month, outcome, y from long
),
sums as (
    select
        subgroup,
        level,
        weighting,
        outcome,
        event_month,
        treated,
        subclass,
        weight,
        count(*) as persons,
        count(*) filter (where y > 0) as persons_positive,
        sum(y) as sum_y,
        sum(y::decimal(38, 8) * y) as sum_y2
    from weightings
    group by subgroup, level, weighting, outcome, event_month, treated, subclass, weight
)
select * from sums
