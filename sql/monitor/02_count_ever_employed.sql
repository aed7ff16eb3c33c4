-- Cumulative share ever in competitive work (employed_any) by event month,
-- per arm, among the persons in the estimate at that month
-- (observed_person_months): matched-weighted (matched persons, weights taken
-- up per month within matched sets) and unweighted (every observed cohort
-- person). A person observed at month m is observed in every month before.
-- The study's person-months are counted once per profile, arm and month
-- (sql/estimate/00_profile_sample_persons.sql: persons who weigh the same in
-- every month) and weighted after; with replacement, the matched persons'
-- weights are their pairs' sums, so their person-months are weighted one by
-- one. Weighted shares are sums of DECIMAL-rounded weights (a profile's:
-- its weight times its persons), so thread-independent. At 1,000,000
-- persons, alone: 4.5-6.5 s weighting each person-month
-- (observed_person_months), 1.4-1.7 s so; the same rows. Persons are joined
-- to the panel and grouped on its integer person_key: 1.4-1.5 -> 0.7-0.9 s.
-- Grain: one row per weighting x arm x event_month (1..$months_after).
-- Reads: panel_person_month, sample_person_profiles, sample_profile_weights, pair_weighted_person_months, cohort.
-- Writes: ever_employed.
create or replace table ever_employed as
with
first_job as (
    -- the employed months only (a person never employed then has no row): at 1,000,000 persons the statement
    -- 2.3-3.8 -> 1.5-1.7 s against a filtered minimum over all 36 M person-months
    select person_key, min(event_month) as first_month
    from panel_person_month
    where employed_any and event_month >= 1
    group by person_key
),
persons as (
    select profiles.person_key, profiles.profile_id, cohort.arm, first_job.first_month
    from sample_person_profiles as profiles
    join cohort using (person_id)
    left join first_job using (person_key)
    where profiles.subgroup = '' and profiles.level = ''
),
profile_months as (
    select
        persons.profile_id,
        persons.arm,
        panel.event_month,
        count(*) as persons,
        count(*) filter (where persons.first_month <= panel.event_month) as persons_ever_employed
    from persons
    join panel_person_month as panel using (person_key)
    where panel.observed and panel.event_month between 1 and $months_after
    group by persons.profile_id, persons.arm, panel.event_month
),
months as (
    select weights.weighting, sums.arm, sums.event_month, weights.weight, sums.persons, sums.persons_ever_employed
    from profile_months as sums
    join sample_profile_weights as weights
        on weights.subgroup = ''
        and weights.level = ''
        and weights.profile_id = sums.profile_id
        and weights.event_month = sums.event_month
    union all
    select months.weighting, cohort.arm, months.event_month, months.weight, 1, coalesce(first_job.first_month <= months.event_month, false)::integer
    from pair_weighted_person_months as months
    join cohort using (person_id)
    left join first_job using (person_key)
    where months.subgroup = '' and months.event_month between 1 and $months_after
),
shares as (
    select
        weighting,
        arm,
        event_month,
        sum(persons)::bigint as persons,
        sum(persons_ever_employed)::bigint as persons_ever_employed,
        sum(weight::decimal(38, 10) * persons_ever_employed)::double / sum(weight::decimal(38, 10) * persons)::double
            as share_ever_employed
    from months
    group by weighting, arm, event_month
)
select weighting, arm, event_month, persons, persons_ever_employed, round(share_ever_employed, 10) as share_ever_employed
from shares
order by weighting, arm, event_month
