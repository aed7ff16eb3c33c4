-- Pre-trend tests of the event-study DiD: are all pre-index treated x month
-- effects (every month before 0 except the reference) jointly zero? Wald
-- chi-square with the CR1 covariance, and its F form (chi-square / df on
-- df and G - 1 degrees of freedom, as Stata's test after vce(cluster)).
-- A NaN from TypeScript (singular pre-index covariance, e.g. fewer persons
-- than restrictions) becomes null.
-- Grain: one row per outcome x test.
-- Reads: (parameters only). Writes: pretrend_tests.
create or replace table pretrend_tests as
with
tests as (
    select
        unnest($outcome)::varchar as outcome,
        unnest($chi_square)::double as chi_square,
        unnest($chi_square_p_value)::double as chi_square_p_value,
        unnest($f_statistic)::double as f_statistic,
        unnest($f_p_value)::double as f_p_value
),
test_rows as (
    select
        outcome,
        chi_square as statistic,
        $restrictions::integer as df,
        chi_square_p_value as p_value,
        format('wald_chi2: pre-index treated x month effects = 0 (months before 0 except {}), CR1 covariance', $reference_month::integer) as test
    from tests
    union all
    select
        outcome,
        f_statistic,
        $restrictions::integer,
        f_p_value,
        format('wald_f: the same test as F = chi2 / {} on ({}, {}) df, denominator G - 1', $restrictions::integer, $restrictions::integer, $persons::bigint - 1)
    from tests
)
select
    outcome,
    case when isnan(statistic) then null else statistic end as statistic,
    df,
    case when isnan(p_value) then null else p_value end as p_value,
    test
from test_rows
order by outcome, test
