-- The cluster meat of the event-study DiD, per outcome and arm: the sum over
-- persons of u_i u_i', with u_im = w_i e_im the person's score in month m
-- (e = within residual; 0 in months not observed). Person i's score for
-- the month dummy m is u_im and for treated x month m it is treated_i u_im,
-- so these per-arm matrices give every block of the meat.
-- With a_im = w_i (y_im - mean_i y) and d_pm = f_m - mean over the
-- pattern's months of f (f_m = g_m + treated b_m, the fitted month effect),
-- u_im = a_im - w_i d_pm for a person of pattern p, so
--   sum_i u_im u_ik = sum_i a_im a_ik                       (did_deviation_products)
--                   - sum_p (d_pk AW_pm + d_pm AW_pk)       (AW_pm = sum_{i in p} w_i a_im, did_deviation_sums)
--                   + sum_p WW_p d_pm d_pk                  (WW_p = sum_{i in p} w_i^2)
-- Only the pattern terms depend on the coefficients, so this step never
-- reads the panel. Terms are rounded to DECIMAL(38, 15) and summed exactly;
-- pairs stored once (month <= other month) are mirrored.
-- Grain: one row per outcome x treated x event_month x other_event_month.
-- Reads: did_persons, did_patterns, did_deviation_products, did_deviation_sums, did_coefficients.
-- Writes: did_score_products.
create or replace table did_score_products as
with
upper_products as (
    select outcome, treated, event_month, other_event_month, deviation_product::decimal(38, 15) as deviation_product
    from did_deviation_products
),
deviation_products as (
    select * from upper_products
    union all
    select outcome, treated, other_event_month, event_month, deviation_product
    from upper_products
    where other_event_month > event_month
),
pattern_deviations as (
    select outcome, pattern, event_month, weighted_within_sum::decimal(38, 15) as weighted_within_sum
    from did_deviation_sums
),
coefficients as (select * from did_coefficients),
patterns as (
    select persons.*, did_patterns.observed_months
    from (
        select pattern, any_value(treated) as treated, sum((weight * weight)::decimal(38, 15)) as sum_weight_squared
        from did_persons
        group by pattern
    ) as persons
    join did_patterns using (pattern)
),
pattern_months as (
    select patterns.*, month.event_month
    from patterns, unnest(patterns.observed_months) as month(event_month)
),
pattern_fitted as (
    select
        coefficients.outcome,
        pattern_months.pattern,
        pattern_months.treated,
        pattern_months.sum_weight_squared,
        pattern_months.event_month,
        coefficients.month_effect + pattern_months.treated * coefficients.treated_month_effect as fitted
    from pattern_months
    join coefficients using (event_month)
),
pattern_fitted_means as (
    select outcome, pattern, sum(fitted::decimal(38, 15))::double / count(*) as mean_fitted
    from pattern_fitted
    group by outcome, pattern
),
fitted_deviations as (
    select
        pattern_fitted.outcome,
        pattern_fitted.pattern,
        pattern_fitted.treated,
        pattern_fitted.sum_weight_squared,
        pattern_fitted.event_month,
        pattern_fitted.fitted - pattern_fitted_means.mean_fitted as fitted_deviation,
        coalesce(pattern_deviations.weighted_within_sum, 0)::double as weighted_within_sum
    from pattern_fitted
    join pattern_fitted_means using (outcome, pattern)
    left join pattern_deviations using (outcome, pattern, event_month)
),
pattern_terms as (
    select
        month.outcome,
        month.treated,
        month.event_month,
        other_month.event_month as other_event_month,
        (month.sum_weight_squared::double * month.fitted_deviation * other_month.fitted_deviation
            - other_month.fitted_deviation * month.weighted_within_sum
            - month.fitted_deviation * other_month.weighted_within_sum)::decimal(38, 15) as term
    from fitted_deviations as month
    join fitted_deviations as other_month
        on other_month.outcome = month.outcome
        and other_month.pattern = month.pattern
),
all_terms as (
    select outcome, treated, event_month, other_event_month, deviation_product as term
    from deviation_products
    union all
    select * from pattern_terms
),
sums as (
    select
        outcome,
        treated,
        event_month,
        other_event_month,
        sum(term)::double as score_product
    from all_terms
    group by outcome, treated, event_month, other_event_month
)
select * from sums
order by outcome, treated, event_month, other_event_month
