-- Dominance of money means: per weighting, money outcome ($money_outcomes),
-- event month and arm, the share of the (weighted) total contributed by the
-- $top_persons largest persons, over the person-months in the estimate. The
-- disclosure stage suppresses means where it exceeds the study's limit, so
-- no published mean reveals one or two persons' euros. The largest amounts
-- come from a top-n aggregate (max(x, n)), not a sort of every person-month,
-- and every money outcome is summed in one pass over the person-months.
-- Grain: one row per weighting x outcome x event_month x treated.
-- Reads: observed_person_months. Writes: money_dominance.
create or replace table money_dominance as
with
contributions as (
    select weighting, treated, event_month, weight * columns($money_pattern) as "\0"
    from observed_person_months
    where subgroup = ''
),
sums as (
    -- every money outcome in one pass; the top amounts are taken as doubles and rounded after: rounding keeps
    -- their order, so they are the top of the rounded amounts
    select
        weighting,
        treated,
        event_month,
        struct_pack(
            total := sum(columns($money_pattern)::decimal(38, 10)),
            top := max(columns($money_pattern), $top_persons)
        ) as "\0"
    from contributions
    group by weighting, treated, event_month
),
long as (
    unpivot sums on columns($money_pattern) into name outcome value sums
),
shares as (
    select
        weighting,
        outcome,
        event_month,
        treated,
        case when sums.total > 0
            then (list_sum(list_transform(sums.top, amount -> amount::decimal(38, 10))) / sums.total)::double
            else 0
        end as top_share
    from long
)
select weighting, outcome, event_month, treated, round(top_share, 10) as top_share
from shares
order by weighting, outcome, event_month, treated
