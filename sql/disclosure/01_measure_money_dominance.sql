-- Dominance of money means: per weighting, money outcome ($money_outcomes),
-- event month and arm, the share of the (weighted) total contributed by the
-- $top_persons largest persons, over the person-months in the estimate. The
-- disclosure stage suppresses means where it exceeds the study's limit, so
-- no published mean reveals one or two persons' euros. The largest amounts
-- come from a top-n aggregate (max(x, n)), not a sort of every person-month.
-- Grain: one row per weighting x outcome x event_month x treated.
-- Reads: observed_person_months. Writes: money_dominance.
create or replace table money_dominance as
with
contributions as (
    select weighting, treated, weight, event_month, columns($money_pattern)
    from observed_person_months
    where subgroup = ''
),
long as (
    unpivot contributions on columns($money_pattern) into name outcome value euros
),
weighted as (
    select weighting, treated, event_month, outcome, (weight * euros)::decimal(38, 10) as amount from long
),
shares as (
    select
        weighting,
        outcome,
        event_month,
        treated,
        case when sum(amount) > 0
            then (list_sum(max(amount, $top_persons)) / sum(amount))::double
            else 0
        end as top_share
    from weighted
    group by weighting, outcome, event_month, treated
)
select weighting, outcome, event_month, treated, round(top_share, 10) as top_share
from shares
order by weighting, outcome, event_month, treated
