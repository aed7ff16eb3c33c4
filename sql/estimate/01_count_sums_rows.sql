-- Per sample and event month, how many rows the sample's sums group for the month (sql/estimate/01): with
-- replacement the observed members of the pairs that enter the month (its pairs' rows; about as many persons weigh
-- a sum over pairs in it), otherwise its matched sets' cells, a set's arm with observed persons (the persons of a
-- set's arm share a profile, sql/estimate/00_profile_sample_persons.sql). Few under exact matching, whose sets are
-- strata; one per set and arm under nearest-neighbour matching without replacement. The caller cuts each sample's
-- months into ranges of at most so many rows (src/estimate/index.ts, estimateDifferences); a sample with no
-- matched sets has no rows here.
-- Grain: one row per subgroup x level x event_month of a sample with matched sets or pairs.
-- Reads: matched_set_months, paired_samples. Writes: (none; a query result).
select
    sets.subgroup,
    sets.level,
    sets.event_month,
    sum(
        case
            when paired.subgroup is not null then sets.treated_observed + sets.control_observed
            else (sets.treated_observed > 0)::integer + (sets.control_observed > 0)::integer
        end
    )::double as sums_rows
from matched_set_months as sets
left join paired_samples as paired using (subgroup, level)
where set_month_compared(sets.treated_observed, sets.control_observed)
group by sets.subgroup, sets.level, sets.event_month
order by sets.subgroup, sets.level, sets.event_month
