-- The fitted event-study coefficients (g_m month effects, b_m treated x month
-- effects), handed back from TypeScript for the coefficient-dependent part
-- of the cluster meat (13). Lists are parallel: element i of each is one
-- outcome x event month; the reference month is included with zeros.
-- Grain: one row per outcome x event_month.
-- Reads: (parameters only). Writes: did_coefficients.
create or replace table did_coefficients as
select
    unnest($outcome)::varchar as outcome,
    unnest($event_month)::integer as event_month,
    unnest($month_effect)::double as month_effect,
    unnest($treated_month_effect)::double as treated_month_effect
