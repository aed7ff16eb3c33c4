-- Dominance of money means: per weighting, money outcome ($money_outcomes),
-- event month and arm, the share of the (weighted) total contributed by the
-- $top_persons largest persons, over the person-months in the estimate. The
-- disclosure stage suppresses means where it exceeds the study's limit, so
-- no published mean reveals one or two persons' euros.
-- The study's person-months are summed once per profile and month
-- (sql/estimate/00_profile_sample_persons.sql: persons who weigh the same in
-- every month), every money outcome in one pass, and weighted after: a
-- profile's weight is the same for all its persons in a month, so its
-- largest weighted amounts are its largest amounts weighted (a top-n
-- aggregate, max(x, n), not a sort), and its weighted total is its total
-- times the weight. With replacement, the matched persons' weights are
-- their pairs' sums, so their person-months are grouped by weight instead.
-- The total is exact: the weight rounded to DECIMAL(38, 10) times the exact
-- sum of the amounts (it was each weighted amount rounded, then summed).
-- At 1,000,000 persons, alone: 8.0-12.0 s weighting each person-month
-- (observed_person_months), 3.3-3.7 s so; the same 732 shares. Persons are
-- joined to the panel on its integer person_key: 2.5 -> 1.8-2.1 s.
-- One statement measures the event months $first_month..$last_month and
-- appends their rows in month order, so the table is the same whatever the
-- ranges (src/disclosure/index.ts cuts them as the estimate stage does: with
-- nearest-neighbour matching the profiles are the sets' arms, and all months
-- at once ran out of memory).
-- Grain: one row per weighting x outcome x event_month x treated.
-- Reads: sample_person_profiles, sample_profile_weights, panel_person_month, pair_weighted_person_months.
-- Writes: money_dominance, money_dominance_range.
create or replace temp table money_dominance_range as
with
profile_sums as (
    select
        profiles.profile_id,
        panel.event_month,
        struct_pack(total := sum(columns($money_pattern)), top := max(columns($money_pattern), $top_persons)) as "\0"
    from sample_person_profiles as profiles
    join panel_person_month as panel using (person_key)
    where profiles.subgroup = '' and profiles.level = '' and panel.observed and panel.event_month between $first_month and $last_month
    group by profiles.profile_id, panel.event_month
),
weighted as (
    select weights.weighting, weights.treated, sums.event_month, weights.weight, sums.* exclude (profile_id, event_month)
    from profile_sums as sums
    join sample_profile_weights as weights
        on weights.subgroup = ''
        and weights.level = ''
        and weights.profile_id = sums.profile_id
        and weights.event_month = sums.event_month
    union all by name
    select
        weighting,
        treated,
        event_month,
        weight,
        struct_pack(total := sum(columns($money_pattern)), top := max(columns($money_pattern), $top_persons)) as "\0"
    from pair_weighted_person_months
    where subgroup = '' and event_month between $first_month and $last_month
    group by weighting, treated, event_month, weight
),
long as (
    unpivot weighted on columns($money_pattern) into name outcome value sums
),
totals as (
    select weighting, outcome, event_month, treated, sum(weight::decimal(38, 10) * sums.total) as total
    from long
    group by weighting, outcome, event_month, treated
),
-- the weighted amounts as doubles, their top rounded after: rounding keeps their order, so it is the top of
-- the rounded amounts
tops as (
    select weighting, outcome, event_month, treated, max(amount, $top_persons) as top
    from (
        select weighting, outcome, event_month, treated, unnest(list_transform(sums.top, amount -> weight * amount)) as amount
        from long
    )
    group by weighting, outcome, event_month, treated
),
shares as (
    select
        weighting,
        outcome,
        event_month,
        treated,
        case when totals.total > 0
            then (list_sum(list_transform(tops.top, amount -> amount::decimal(38, 10))) / totals.total)::double
            else 0
        end as top_share
    from totals
    left join tops using (weighting, outcome, event_month, treated)
)
select weighting, outcome, event_month, treated, round(top_share, 10) as top_share
from shares;

create table if not exists money_dominance as
from money_dominance_range
limit 0;

insert into money_dominance
from money_dominance_range
order by event_month, weighting, outcome, treated;

drop table money_dominance_range;
