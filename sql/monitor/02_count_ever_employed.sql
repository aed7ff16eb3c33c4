-- Cumulative share ever in competitive work (employed_any) by event month,
-- per arm, among the persons in the estimate at that month
-- (observed_person_months): matched-weighted (matched persons, weights taken
-- up per month within matched sets) and unweighted (every observed cohort
-- person). A person observed at month m is observed in every month before.
-- Weighted shares are sums of DECIMAL-rounded weights, so thread-independent.
-- Grain: one row per weighting x arm x event_month (1..$months_after).
-- Reads: panel_person_month, observed_person_months, cohort. Writes: ever_employed.
create or replace table ever_employed as
with
first_job as (
    select person_id, min(event_month) filter (where employed_any and event_month >= 1) as first_month
    from panel_person_month
    group by person_id
),
months as (
    select months.weighting, cohort.arm, months.event_month, months.weight, first_job.first_month
    from observed_person_months as months
    join cohort using (person_id)
    left join first_job using (person_id)
    where months.subgroup = '' and months.event_month between 1 and $months_after
),
shares as (
    select
        weighting,
        arm,
        event_month,
        count(*) as persons,
        count(*) filter (where first_month <= event_month) as persons_ever_employed,
        coalesce(sum(weight::decimal(38, 10)) filter (where first_month <= event_month), 0)::double
            / sum(weight::decimal(38, 10))::double as share_ever_employed
    from months
    group by weighting, arm, event_month
)
select weighting, arm, event_month, persons, persons_ever_employed, round(share_ever_employed, 10) as share_ever_employed
from shares
order by weighting, arm, event_month
