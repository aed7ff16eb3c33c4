-- The cost analysis's arm means in the sample (replicate 0) and in each of
-- the seeded bootstrap replicates, in SQL.
-- Resampling units ($design), each drawn with replacement within its cell:
--   rematched_within_arms: exact matching; persons within their arm, the
--     strata formed again in each replicate (exact matching is a grouping,
--     so re-taking each stratum's weights from its drawn persons is
--     re-matching the replicate; a stratum left without one arm drops out);
--   sets: nearest neighbour without replacement; whole matched sets (pairs
--     or 1:k sets) over the sample;
--   fixed_weights_within_arms: nearest neighbour with replacement; persons
--     within their arm with their matching weights fixed (and, for the
--     effect, their weights in the effect month's matched ATT).
-- (Persons within stratum and arm would leave a stratum's single control
-- without any spread: on the demo world that interval covered 90% in the
-- 50-seed simulation study.)
-- The units, their positions, their persons' terms and each replicate's
-- draws are indexed once per bootstrap (02_index_bootstrap_units.sql:
-- cost_bootstrap_persons, cost_bootstrap_draws and the macro
-- bootstrap_replicate_draws, which says how a unit is drawn); the drawn
-- units come joined to their rows (the view cost_replicate_drawn; past 2^20
-- units cell by cell, src/costs/index.ts says why), summed per replicate and
-- matched set by the view cost_replicate_set_sums: drawn persons grouped
-- (03_group_drawn_persons.sql), or whole sets drawn with their arms' sums
-- (03_list_drawn_sets.sql over 02_sum_set_arms.sql).
-- Each replicate is estimated as the sample is: per matched set, treated
-- persons weigh 1 and controls share the set's treated weight (T_s / C_s),
-- the ATT weights of sql/estimate/00; the effect takes them up again among
-- the persons in the effect month's estimate; a set without both arms drops
-- out. With replacement, the fixed weights instead.
-- Means per arm: intervention, benefit and healthcare euros per person, and
-- the share with the effect outcome. Every term is rounded (DECIMAL) before
-- it is summed.
-- A few replicates per statement (0 is the sample), so the set sums of a
-- few replicates at a time are held, however many persons: the view
-- cost_replicate_drawn, which the caller makes for each statement with one
-- union branch per replicate (bootstrap_replicate_draws), so that DuckDB
-- sums each replicate's draws in a pipeline of its own, into its own few
-- thousand sets, not every replicate's sets at once (a draw's table rows
-- crossed with a list of replicates are summed chunk by chunk, each chunk
-- another replicate's: at 1,000,000 persons a statement of 56 replicates
-- 2.5 -> 1.8 s, the same sums); with few units a replicate, a branch per
-- range of replicates instead (bootstrap_replicate_range_draws, where
-- src/costs/index.ts says why). The draws of a replicate do not depend on
-- the others.
-- Grain: one row per replicate (0 = the sample).
-- Reads: cost_replicate_set_sums. Writes: cost_replicate_means (insert).
create table if not exists cost_replicate_means (
    replicate integer,
    treated_intervention_eur double,
    control_intervention_eur double,
    treated_benefit_eur double,
    control_benefit_eur double,
    treated_healthcare_eur double,
    control_healthcare_eur double,
    treated_effect double,
    control_effect double
);
insert into cost_replicate_means
with
-- a set's control sum, weighted as the ATT weighs it: n1 / n0 per control, or the fixed weights
-- (the ratio in double from exact sums, then rounded: the same bits on any thread count, and fast)
terms as (
    select
        replicate,
        case when $design = 'fixed_weights_within_arms' or (n1 > 0 and n0 > 0) then coalesce(n1, 0) else 0 end as treated_w,
        case when $design = 'fixed_weights_within_arms' or (n1 > 0 and n0 > 0) then coalesce(intervention1, 0) else 0 end
            as treated_intervention,
        case when $design = 'fixed_weights_within_arms' or (n1 > 0 and n0 > 0) then coalesce(benefit1, 0) else 0 end as treated_benefit,
        case when $design = 'fixed_weights_within_arms' or (n1 > 0 and n0 > 0) then coalesce(healthcare1, 0) else 0 end
            as treated_healthcare,
        case when $design = 'fixed_weights_within_arms' then coalesce(n0, 0) when n1 > 0 and n0 > 0 then n1 else 0 end as control_w,
        case when $design = 'fixed_weights_within_arms' then coalesce(intervention0, 0)
            when n1 > 0 and n0 > 0 then (n1::double * intervention0::double / n0::double)::decimal(18, 6) else 0 end as control_intervention,
        case when $design = 'fixed_weights_within_arms' then coalesce(benefit0, 0)
            when n1 > 0 and n0 > 0 then (n1::double * benefit0::double / n0::double)::decimal(18, 6) else 0 end as control_benefit,
        case when $design = 'fixed_weights_within_arms' then coalesce(healthcare0, 0)
            when n1 > 0 and n0 > 0 then (n1::double * healthcare0::double / n0::double)::decimal(18, 6) else 0 end as control_healthcare,
        case when $design = 'fixed_weights_within_arms' or (observed1 > 0 and observed0 > 0) then coalesce(observed1, 0) else 0 end
            as treated_effect_w,
        case when $design = 'fixed_weights_within_arms' or (observed1 > 0 and observed0 > 0) then coalesce(effect1, 0) else 0 end
            as treated_effect,
        case when $design = 'fixed_weights_within_arms' then coalesce(observed0, 0) when observed1 > 0 and observed0 > 0 then observed1 else 0 end
            as control_effect_w,
        case when $design = 'fixed_weights_within_arms' then coalesce(effect0, 0)
            when observed1 > 0 and observed0 > 0 then (observed1::double * effect0::double / observed0::double)::decimal(18, 6) else 0 end as control_effect
    from cost_replicate_set_sums
)
select
    replicate::integer as replicate,
    (sum(treated_intervention) / sum(treated_w))::double as treated_intervention_eur,
    (sum(control_intervention) / sum(control_w))::double as control_intervention_eur,
    (sum(treated_benefit) / sum(treated_w))::double as treated_benefit_eur,
    (sum(control_benefit) / sum(control_w))::double as control_benefit_eur,
    (sum(treated_healthcare) / sum(treated_w))::double as treated_healthcare_eur,
    (sum(control_healthcare) / sum(control_w))::double as control_healthcare_eur,
    (sum(treated_effect) / nullif(sum(treated_effect_w), 0))::double as treated_effect,
    (sum(control_effect) / nullif(sum(control_effect_w), 0))::double as control_effect
from terms
group by replicate
order by replicate
