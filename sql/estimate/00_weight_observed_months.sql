-- The person-months every estimate rests on, with their weights.
-- Only observed person-months count (panel_person_month.observed). Persons
-- censored in a matched set change its balance, so the matching weights are
-- taken up again per event month within each matched set (stratum or pair):
-- treated persons weigh 1 and the set's observed controls share the weight
-- of its observed treated, T_s,m / C_s,m, as exact and 1:k matching weight a
-- set at baseline. The estimand at month m is then the ATT among the treated
-- observed at m; a set with no observed treated or no observed control at m
-- drops out of that month ("without comparator"). Matching with replacement
-- has no sets: its baseline weights stay.
-- Samples: the study ('' subgroup and level), matched and unweighted (every
-- cohort person, weight 1), and each subgroup level's matched sample.
-- Grain: matched_set_months, one row per subgroup x level x matched set x
-- event_month with an observed person; observed_person_months (a view), one
-- row per subgroup x level x weighting x person x event_month in the estimate.
-- Reads: panel_person_month, matches, subgroup_matches.
-- Writes: matched_set_months, observed_person_months.
create or replace table matched_set_months as
with
matched as (
    select '' as subgroup, '' as level, person_id, treated, subclass from matches where weight > 0 and subclass is not null
    union all
    select subgroup, level, person_id, treated, subclass from subgroup_matches where weight > 0 and subclass is not null
),
observed as (select person_id, event_month from panel_person_month where observed)
select
    matched.subgroup,
    matched.level,
    matched.subclass,
    observed.event_month,
    count(*) filter (where matched.treated = 1) as treated_observed,
    count(*) filter (where matched.treated = 0) as control_observed
from matched
join observed using (person_id)
group by matched.subgroup, matched.level, matched.subclass, observed.event_month;

create or replace view observed_person_months as
with
samples as (
    select '' as subgroup, '' as level, 'matched' as weighting, person_id, treated, subclass, weight from matches where weight > 0
    union all
    select '', '', 'unweighted', person_id, treated, null, 1.0 from matches
    union all
    select subgroup, level, 'matched', person_id, treated, subclass, weight from subgroup_matches where weight > 0
),
weighted as (
    select
        samples.subgroup,
        samples.level,
        samples.weighting,
        samples.treated,
        samples.subclass,
        case
            when samples.weighting = 'unweighted' or samples.subclass is null then samples.weight
            when samples.treated = 1 then 1.0
            else sets.treated_observed / sets.control_observed
        end as weight,
        panel.*
    from samples
    join panel_person_month as panel using (person_id)
    left join matched_set_months as sets
        on sets.subgroup = samples.subgroup
        and sets.level = samples.level
        and sets.subclass = samples.subclass
        and sets.event_month = panel.event_month
    where panel.observed
        and (samples.weighting = 'unweighted' or samples.subclass is null
            or (sets.treated_observed > 0 and sets.control_observed > 0))
)
select * from weighted
