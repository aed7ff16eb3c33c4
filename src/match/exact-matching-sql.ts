/**
 * Builds the exact-matching SQL: strata on coarsened covariates, ATT weights.
 *
 * A stratum is one combination of the exact-matching covariates; strata
 * without both arms are dropped. Treated persons get weight 1; controls in
 * stratum s get (treated_s / controls_s) scaled so that the control weights
 * sum to the number of matched controls (MatchIt's convention for exact
 * matching with estimand ATT). Stratum ids are numbered by the covariate
 * values, so they do not depend on row order.
 * Grain out: one row per cohort person (weight 0 and no subclass when unmatched).
 */
import { quoteIdentifier } from '../db/database.js';
import type { EXACT_MATCH_COVARIATES } from '../config/study-config.js';

export type ExactCovariate = (typeof EXACT_MATCH_COVARIATES)[number];

export function exactMatchingSql(covariates: readonly ExactCovariate[]): string {
  const columns = covariates.map(quoteIdentifier).join(', ');
  return `create or replace table matches as
with
cohort_strata as (
    select person_id, treated, dense_rank() over (order by ${columns}) as stratum
    from cohort
),
stratum_sizes as (
    select
        stratum,
        count(*) filter (where treated = 1) as treated_in_stratum,
        count(*) filter (where treated = 0) as controls_in_stratum
    from cohort_strata
    group by stratum
),
matched_strata as (
    select * from stratum_sizes where treated_in_stratum > 0 and controls_in_stratum > 0
),
matched_totals as (
    select sum(treated_in_stratum) as matched_treated, sum(controls_in_stratum) as matched_controls
    from matched_strata
),
weighted as (
    select
        cohort_strata.person_id,
        cohort_strata.treated,
        dense_rank() over (order by matched_strata.stratum) as subclass,
        case
            when matched_strata.stratum is null then 0.0
            when cohort_strata.treated = 1 then 1.0
            else (matched_strata.treated_in_stratum / matched_strata.controls_in_stratum)
                * (matched_totals.matched_controls / matched_totals.matched_treated)
        end as weight
    from cohort_strata
    left join matched_strata using (stratum)
    cross join matched_totals
)
select
    person_id,
    treated,
    case when weight > 0 then subclass end as subclass,
    weight,
    null::double as ps
from weighted
order by person_id`;
}
