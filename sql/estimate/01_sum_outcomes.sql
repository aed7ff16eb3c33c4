-- Sums of each outcome per arm, event month, matched set and matching
-- weight: everything the weighted means and their variances need. Grouping
-- by weight keeps the sums exact (DECIMAL), so results are the same whatever
-- the thread count.
-- Two weightings: 'matched' (matching weights, matched persons only, per
-- matched set) and 'unweighted' (every cohort person, weight 1, no sets).
-- Samples: the study's cohort (subgroup and level '') and each subgroup
-- level's own matching (subgroup_matches): matched persons and the two
-- employment outcomes only.
-- The panel is summed with one column per outcome first and unpivoted after,
-- so the person-month rows are read once, not once per outcome.
-- Grain: one row per subgroup x level x weighting x outcome x event_month x treated x subclass x weight.
-- Reads: panel_person_month, matches, subgroup_matches. Writes: outcome_sums.
create or replace table outcome_sums as
with
weightings as (
    select 'matched' as weighting, person_id, treated, subclass, weight from matches where weight > 0
    union all
    select 'unweighted', person_id, treated, null, 1.0 from matches
),
panel as (
    select
        person_id,
        event_month,
        columns('^(employed_any|employed_48h|on_benefit)$')::integer::decimal(18, 4) as "\0",
        columns('^(hours|wage_eur|benefit_eur)$')::decimal(18, 4) as "\0"
    from panel_person_month
),
study_sums as (
    -- per outcome y: persons with y > 0, the sum of y and of y^2
    select
        '' as subgroup, '' as level, weighting, treated, subclass, weight, event_month,
        count(*) as persons,
        struct_pack(
            persons_positive := count_if(columns('^(employed_any|employed_48h|hours|wage_eur|on_benefit|benefit_eur)$') > 0)::bigint,
            sum_y := sum(columns('^(employed_any|employed_48h|hours|wage_eur|on_benefit|benefit_eur)$')),
            sum_y2 := sum(
                columns('^(employed_any|employed_48h|hours|wage_eur|on_benefit|benefit_eur)$')::decimal(38, 8)
                * columns('^(employed_any|employed_48h|hours|wage_eur|on_benefit|benefit_eur)$')
            )
        ) as "\0"
    from weightings
    join panel using (person_id)
    group by weighting, treated, subclass, weight, event_month
),
subgroup_sums as (
    -- 0/1 outcomes: y^2 = y, and the sums are counts
    select
        subgroup, level, 'matched' as weighting, treated, subclass, weight, event_month,
        count(*) as persons,
        struct_pack(
            persons_positive := count_if(columns('^(employed_any|employed_48h)$'))::bigint,
            sum_y := count_if(columns('^(employed_any|employed_48h)$'))::decimal(38, 4),
            sum_y2 := count_if(columns('^(employed_any|employed_48h)$'))::decimal(38, 12)
        ) as "\0"
    from subgroup_matches
    join panel_person_month using (person_id)
    where weight > 0
    group by subgroup, level, treated, subclass, weight, event_month
),
sums as (
    select * exclude (sums), sums.*
    from (
        unpivot study_sums
        on columns('^(employed_any|employed_48h|hours|wage_eur|on_benefit|benefit_eur)$')
        into name outcome value sums
    )
    union all by name
    select * exclude (sums), sums.*
    from (unpivot subgroup_sums on employed_any, employed_48h into name outcome value sums)
)
select subgroup, level, weighting, outcome, event_month, treated, subclass, weight, persons, persons_positive, sum_y, sum_y2
from sums
