-- Propensity-score distributions per arm as counts in 20 bins of width 0.05,
-- before (all cohort persons) and after matching (weight > 0): what the PS
-- figure shows, without person-level scores leaving restricted/.
-- Grain: one row per sample x arm x bin. Empty for exact matching (no PS).
-- Reads: matches, cohort. Writes: ps_distribution.
create or replace table ps_distribution as
with
scored as (
    select cohort.arm, matches.weight, least(floor(matches.ps * 20), 19)::integer as bin
    from matches
    join cohort using (person_id)
    where matches.ps is not null
),
samples as (
    select 'before' as sample, arm, bin from scored
    union all
    select 'after', arm, bin from scored where weight > 0
)
select sample, arm, bin / 20 as ps_from, (bin + 1) / 20 as ps_to, count(*) as persons
from samples
group by sample, arm, bin
order by sample, arm, bin
