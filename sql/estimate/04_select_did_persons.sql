-- Persons in the event-study DiD of one matched sample: the study's
-- ($subgroup and $level '', from matches) or a subgroup level's (from
-- subgroup_matches). Matched (weight > 0), with the event months they are
-- in the estimate (observed_person_months of the sample: observed, in a
-- matched set with an observed treated and control that month); the
-- matching weight is the person's baseline one.
-- Patterns: one arm and one set of observed months, numbered densely from 0
-- by arm and months; a balanced panel has one pattern per arm, an
-- unbalanced one a pattern per distinct set of gaps.
-- person_index numbers the persons by pattern, then person_id: the order in
-- which 06 streams them, so persons of a pattern arrive together.
-- Grain: one row per matched person_id of the sample with at least one panel month.
-- Reads: observed_person_months, matches, subgroup_matches. Writes: did_persons.
create or replace table did_persons as
with
panel as (
    select person_id, event_month
    from observed_person_months
    where subgroup = $subgroup and level = $level and weighting = 'matched'
),
matched as (
    select person_id, treated, weight from matches where weight > 0 and $subgroup = ''
    union all
    select person_id, treated, weight
    from subgroup_matches
    where weight > 0 and subgroup = $subgroup and level = $level
),
observed as (
    select
        matched.person_id,
        matched.treated,
        matched.weight,
        count(*)::integer as months_observed,
        list(panel.event_month order by panel.event_month) as observed_months
    from matched
    join panel using (person_id)
    group by matched.person_id, matched.treated, matched.weight
),
patterns as (
    select
        treated,
        observed_months,
        (row_number() over (order by treated, observed_months) - 1)::integer as pattern
    from (select distinct treated, observed_months from observed)
)
select
    observed.*,
    patterns.pattern,
    (row_number() over (order by patterns.pattern, observed.person_id) - 1)::integer as person_index
from observed
join patterns using (treated, observed_months)
