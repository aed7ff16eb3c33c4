-- Drops the sample's deviations and the last batch's deviation lists:
-- person-level values, needed only by 07, 08 and 09.
-- Reads: (none). Writes: did_deviations, did_deviation_lists (dropped).
drop table if exists did_deviation_lists;
drop table if exists did_deviations
