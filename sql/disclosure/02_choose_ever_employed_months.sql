-- Which months of the cumulative ever-employed counts may be published, so
-- that no count below $threshold persons follows from subtracting two
-- published months (the persons whose first job falls in between).
-- Walking forward per weighting and arm from 0 persons before month 1, a
-- month is published only when its count exceeds the last published count
-- by 0 or at least $threshold persons; a month left out is suppressed.
-- Grain: one row per weighting x arm x event_month of ever_employed.
-- Reads: ever_employed. Writes: ever_employed_months_shown.
create or replace temp table ever_employed_months_shown as
with recursive
walk(weighting, arm, event_month, shown, last_published) as (
    select
        weighting, arm, event_month,
        persons_ever_employed = 0 or persons_ever_employed >= $threshold,
        case when persons_ever_employed >= $threshold then persons_ever_employed else 0 end
    from ever_employed
    where event_month = 1
    union all
    select
        weighting, arm, event_month, shown,
        case when shown then persons_ever_employed else last_published end
    from (
        select
            month.weighting, month.arm, month.event_month, month.persons_ever_employed, walk.last_published,
            month.persons_ever_employed - walk.last_published = 0
                or month.persons_ever_employed - walk.last_published >= $threshold as shown
        from walk
        join ever_employed as month
            on month.weighting = walk.weighting and month.arm = walk.arm and month.event_month = walk.event_month + 1
    )
)
select weighting, arm, event_month, shown from walk
order by weighting, arm, event_month;
