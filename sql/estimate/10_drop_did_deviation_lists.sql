-- Drops the last batch's deviation lists: person-level values, needed only
-- by 08 and 09.
-- Reads: (none). Writes: did_deviation_lists (dropped).
drop table if exists did_deviation_lists
