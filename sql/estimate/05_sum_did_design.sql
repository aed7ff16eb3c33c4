-- X'WX of the event-study DiD, per arm, without person dummies. After the
-- within-person transformation, a person observed in months S (n of them)
-- with weight w adds w * (1[m = k] - 1/n) to the cross-product of the
-- month dummies m and k, for every m, k in S. Persons of one pattern (arm
-- and S) are summed first, so the pairs expand per pattern, never per
-- person. The month block of X'WX is the sum over arms, every block with
-- treated x month dummies is the treated arm's matrix.
-- Terms are rounded to DECIMAL(38, 15) and summed exactly: the result is
-- the same whatever the thread count.
-- Grain: one row per treated x event_month x other_event_month observed together.
-- Reads: did_persons, did_patterns. Writes: did_design_sums.
create or replace table did_design_sums as
with
patterns as (
    select persons.*, did_patterns.observed_months
    from (
        select
            pattern,
            any_value(treated) as treated,
            any_value(months_observed) as months_observed,
            count(*) as persons,
            sum(weight::decimal(38, 15)) as sum_weight
        from did_persons
        group by pattern
    ) as persons
    join did_patterns using (pattern)
),
pattern_pairs as (
    select
        patterns.treated,
        month.event_month,
        other_month.other_event_month,
        patterns.persons,
        case when month.event_month = other_month.other_event_month then patterns.sum_weight else 0 end
            - (patterns.sum_weight / patterns.months_observed)::decimal(38, 15) as cross_product
    from patterns,
        unnest(patterns.observed_months) as month(event_month),
        unnest(patterns.observed_months) as other_month(other_event_month)
),
sums as (
    select
        treated,
        event_month,
        other_event_month,
        sum(persons)::bigint as persons,
        sum(cross_product)::double as cross_product
    from pattern_pairs
    group by treated, event_month, other_event_month
)
select * from sums
order by treated, event_month, other_event_month
