-- Within-person deviations of the outcomes, weighted: a_im = w_i (y_im - mean_i y),
-- for the persons of one batch ($score_batch), laid out as one list per
-- outcome x block x event month, ordered by the person's score_position.
-- Every sum over persons that follows (X'Wy and the cluster meat) is a list
-- sum or list inner product over these lists, added in that fixed order:
-- no per-person rows, no outer products.
-- Person means come from exact DECIMAL sums (booleans as 0/1). The six
-- outcomes are computed side by side; lists are built only for $outcomes.
-- A temporary table, replaced batch by batch and dropped by
-- 10_drop_did_deviation_lists.sql: person-level values never reach the
-- warehouse file.
-- Grain: one row per outcome x block (pattern, pattern_block) x event_month of the batch.
-- Only the person's months in the estimate (did_persons.observed_months).
-- Reads: panel_person_month, did_persons. Writes: did_deviation_lists (temporary).
create or replace temp table did_deviation_lists as
with
panel as (
    select
        person_id,
        event_month,
        employed_any::integer::decimal(18, 2) as employed_any,
        employed_48h::integer::decimal(18, 2) as employed_48h,
        hours::decimal(18, 2) as hours,
        wage_eur::decimal(18, 2) as wage_eur,
        on_benefit::integer::decimal(18, 2) as on_benefit,
        benefit_eur::decimal(18, 2) as benefit_eur
    from panel_person_month
    where observed
),
persons as (
    select person_id, treated, weight, months_observed, observed_months, pattern, pattern_block, score_position
    from did_persons
    where score_batch = $score_batch
),
matched as materialized (
    select panel.*, persons.* exclude (person_id, observed_months)
    from panel
    join persons using (person_id)
    where list_contains(persons.observed_months, panel.event_month)
),
person_means as (
    select
        person_id,
        sum(employed_any) / any_value(months_observed) as employed_any,
        sum(employed_48h) / any_value(months_observed) as employed_48h,
        sum(hours) / any_value(months_observed) as hours,
        sum(wage_eur) / any_value(months_observed) as wage_eur,
        sum(on_benefit) / any_value(months_observed) as on_benefit,
        sum(benefit_eur) / any_value(months_observed) as benefit_eur
    from matched
    group by person_id
),
weighted_deviations as (
    select
        matched.treated,
        matched.pattern,
        matched.pattern_block,
        matched.score_position,
        matched.event_month,
        matched.weight * (matched.employed_any - person_means.employed_any) as employed_any,
        matched.weight * (matched.employed_48h - person_means.employed_48h) as employed_48h,
        matched.weight * (matched.hours - person_means.hours) as hours,
        matched.weight * (matched.wage_eur - person_means.wage_eur) as wage_eur,
        matched.weight * (matched.on_benefit - person_means.on_benefit) as on_benefit,
        matched.weight * (matched.benefit_eur - person_means.benefit_eur) as benefit_eur
    from matched
    join person_means using (person_id)
),
block_lists as (
    select
        treated,
        pattern,
        pattern_block,
        event_month,
        list(employed_any order by score_position) filter (where list_contains($outcomes, 'employed_any')) as employed_any,
        list(employed_48h order by score_position) filter (where list_contains($outcomes, 'employed_48h')) as employed_48h,
        list(hours order by score_position) filter (where list_contains($outcomes, 'hours')) as hours,
        list(wage_eur order by score_position) filter (where list_contains($outcomes, 'wage_eur')) as wage_eur,
        list(on_benefit order by score_position) filter (where list_contains($outcomes, 'on_benefit')) as on_benefit,
        list(benefit_eur order by score_position) filter (where list_contains($outcomes, 'benefit_eur')) as benefit_eur
    from weighted_deviations
    group by treated, pattern, pattern_block, event_month
),
outcome_lists as (
    select
        treated,
        pattern,
        pattern_block,
        event_month,
        unnest([
            {'outcome': 'employed_any', 'deviations': employed_any},
            {'outcome': 'employed_48h', 'deviations': employed_48h},
            {'outcome': 'hours', 'deviations': hours},
            {'outcome': 'wage_eur', 'deviations': wage_eur},
            {'outcome': 'on_benefit', 'deviations': on_benefit},
            {'outcome': 'benefit_eur', 'deviations': benefit_eur}
        ], recursive := true)
    from block_lists
)
select * from outcome_lists
where list_contains($outcomes, outcome)
