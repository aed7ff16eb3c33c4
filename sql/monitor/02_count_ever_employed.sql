-- Cumulative share ever in competitive work (employed_any) by event month,
-- per arm: matched-weighted (matched persons) and unweighted (whole cohort).
-- Weighted shares are sums of DECIMAL-rounded weights, so thread-independent.
-- Grain: one row per weighting x arm x event_month (1..$months_after).
-- Reads: panel_person_month, matches, cohort. Writes: ever_employed.
create or replace table ever_employed as
with
first_job as (
    select person_id, min(event_month) filter (where employed_any and event_month >= 1) as first_month
    from panel_person_month
    group by person_id
),
persons as (
    select cohort.person_id, cohort.arm, matches.weight, first_job.first_month
    from cohort
    join matches using (person_id)
    left join first_job using (person_id)
),
months as (select range::integer as event_month from range(1, $months_after + 1)),
weighted as (
    select 'matched' as weighting, arm, weight, first_month from persons where weight > 0
    union all
    select 'unweighted', arm, 1.0, first_month from persons
),
shares as (
    select
        weighted.weighting,
        weighted.arm,
        months.event_month,
        count(*) as persons,
        count(*) filter (where weighted.first_month <= months.event_month) as persons_ever_employed,
        sum(weight::decimal(38, 10) * (weighted.first_month is not null and weighted.first_month <= months.event_month)::integer)::double
            / sum(weight::decimal(38, 10))::double as share_ever_employed
    from weighted
    cross join months
    group by weighted.weighting, weighted.arm, months.event_month
)
select weighting, arm, event_month, persons, persons_ever_employed, round(share_ever_employed, 10) as share_ever_employed
from shares
order by weighting, arm, event_month
