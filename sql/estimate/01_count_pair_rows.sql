-- Per sample matched with replacement and event month: how many pairs' rows its sums group, the observed
-- members of the pairs that enter the month (sql/estimate/00), which is also about how many persons weigh a
-- sum over pairs in it. The caller cuts each such sample's months into batches of at most so many rows
-- (src/estimate/index.ts, estimateDifferences); samples without pairs have no rows here.
-- Grain: one row per subgroup x level x event_month of a sample with pairs.
-- Reads: matched_set_months, match_pairs, subgroup_match_pairs. Writes: (none; a query result).
select sets.subgroup, sets.level, sets.event_month, sum(sets.treated_observed + sets.control_observed)::double as pair_rows
from matched_set_months as sets
join (
    select distinct '' as subgroup, '' as level from match_pairs
    union
    select distinct subgroup, level from subgroup_match_pairs
) as paired using (subgroup, level)
where set_month_compared(sets.treated_observed, sets.control_observed)
group by sets.subgroup, sets.level, sets.event_month
order by sets.subgroup, sets.level, sets.event_month
