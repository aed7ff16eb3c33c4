-- Whole matched sets drawn (the sets design, nearest neighbour without
-- replacement): each set's arms summed once, side by side, so a replicate
-- takes a drawn set's sums as they are (03_list_drawn_sets.sql) instead of
-- grouping its drawn persons by set and arm again. Each draw of a set is a
-- set of its own in the replicate, as in a cluster bootstrap. At 1,000,000
-- persons (146,848 sets of 440,544 persons, 4GB) grouping the drawn persons
-- took 188.1 s for 1,000 replicates, one a statement (the groups' bound);
-- so, 76.5 s in 5 statements, summing the sets here 0.36 s.
-- The sums are those 03_group_drawn_persons.sql takes per drawn set and arm,
-- of the same types.
-- Grain: one row per matched set (unit).
-- Reads: cost_bootstrap_persons. Writes: cost_bootstrap_sets.
create or replace table cost_bootstrap_sets as
select
    cell,
    cell_units,
    cell_offset,
    unit_key,
    matched_set,
    sum(mass) filter (where treated = 1) as n1,
    sum(mass) filter (where treated = 0) as n0,
    sum(intervention) filter (where treated = 1) as intervention1,
    sum(intervention) filter (where treated = 0) as intervention0,
    sum(benefit) filter (where treated = 1) as benefit1,
    sum(benefit) filter (where treated = 0) as benefit0,
    sum(healthcare) filter (where treated = 1) as healthcare1,
    sum(healthcare) filter (where treated = 0) as healthcare0,
    sum(effect_mass) filter (where treated = 1) as observed1,
    sum(effect_mass) filter (where treated = 0) as observed0,
    sum(effect_in_work) filter (where treated = 1) as effect1,
    sum(effect_in_work) filter (where treated = 0) as effect0
from cost_bootstrap_persons
group by cell, cell_units, cell_offset, unit_key, matched_set
order by unit_key;
