-- The cost analysis's resampling units, once per bootstrap: each person of
-- cost_persons with the cell it is drawn in and what it adds when drawn, for
-- the design $design (03_bootstrap_arm_means.sql says what each design
-- draws). unit_key = the cell's offset + the unit's position in its cell
-- (positions follow the unit ids): a draw finds its unit's persons by this
-- one integer, and the per-person terms are made once, not in every
-- statement of replicates; the matched set is numbered densely (with fixed weights, one set).
-- cost_bootstrap_draws: one row per draw of a replicate, each cell's draws
-- 0 to cell_units - 1: the table the replicates' draws are read from, so
-- DuckDB reads them on every thread (made from a handful of cells in the
-- statement, the draws and the sums after them ran on one thread: 2.9
-- against 2.4 s a statement of 56 replicates at 1 M persons). A temporary
-- table, which src/costs/index.ts compresses before the replicates are
-- drawn (a checkpoint of the connection's temporary tables, which another
-- connection writing the run's tables does not hold off): its cell column
-- is then read as a dictionary of the cells (or one cell), which hash()
-- takes once per vector rather than once per draw.
-- bootstrap_replicate_draws(seed, replicate, draw_cell): replicate r's drawn
-- units in one cell, or in every cell for a NULL draw_cell (r = 0: the
-- sample, every unit once), and bootstrap_replicate_range_draws those of a
-- range of replicates; the caller joins them to their units
-- (src/costs/index.ts, cost_replicate_drawn), which 03_bootstrap_arm_means.sql sums.
-- A drawn person's terms are drawn_mass, drawn_euros and drawn_effect_mass
-- (02_count_drawn_persons.sql or 02_weigh_drawn_persons.sql, by design).
-- Grain: one row per person of cost_persons; one row per unit.
-- Reads: cost_persons. Writes: cost_bootstrap_persons, cost_bootstrap_draws.
create or replace table cost_bootstrap_persons as
with
persons as (
    select
        person_id,
        treated,
        -- with fixed weights a replicate's means are its arms' sums, never a set's (03_bootstrap_arm_means.sql): every
        -- person in one set, so each replicate sums two groups, not one per person and arm (a person with replacement
        -- is its own set), and the statements hold many replicates, not one (1,000,000 persons with replacement: the
        -- bootstrap 290.6 s in 1,000 statements, 24.1 s in 10 so)
        case $design when 'fixed_weights_within_arms' then '' else matched_set end as matched_set,
        case $design when 'sets' then matched_set else person_id end as unit,
        case $design when 'sets' then 'all' else treated::varchar end as cell,
        -- how much a drawn person counts: once, or (with replacement) its matching weight, its euros so weighted
        drawn_mass(weight) as mass,
        drawn_euros(weight, intervention_eur) as intervention,
        drawn_euros(weight, benefit_eur) as benefit,
        drawn_euros(weight, healthcare_eur) as healthcare,
        drawn_effect_mass(effect_weight, in_effect) as effect_mass,
        -- (drawn_effect_mass(0, 0): a zero of the same type)
        case when effect = 1 then drawn_effect_mass(effect_weight, in_effect) else drawn_effect_mass(0, 0) end as effect_in_work
    from cost_persons
),
units as (
    select cell, unit, row_number() over (partition by cell order by unit) - 1 as position
    from (select distinct cell, unit from persons)
),
cells as (
    select
        cell,
        count(*) as cell_units,
        coalesce(sum(count(*)) over (order by cell rows between unbounded preceding and 1 preceding), 0)::bigint as cell_offset
    from units
    group by cell
)
select
    cells.cell,
    cells.cell_units,
    cells.cell_offset,
    cells.cell_offset + units.position as unit_key,
    -- the matched set as a dense integer (from 1), and with the arm as one: 2 x set + treated, the one key the
    -- replicates group on
    dense_rank() over (order by persons.matched_set)::integer as matched_set,
    (2 * dense_rank() over (order by persons.matched_set) + persons.treated)::integer as set_arm,
    persons.* exclude (person_id, unit, cell, matched_set)
from persons
join units using (cell, unit)
join cells using (cell);
create or replace temp table cost_bootstrap_draws as
select cell, cell_units, cell_offset, unnest(range(cell_units)) as draw
from (select distinct cell, cell_units, cell_offset from cost_bootstrap_persons)
order by cell, draw;
-- Draw d of replicate r in a cell of n units takes the unit at position hash(seed, r, cell, d) mod n
-- (positions follow the unit ids), so a replicate depends on the seed and the data only, never on threads.
create or replace macro bootstrap_unit_key(seed, replicate, cell, draw, cell_offset, cell_units) as
    cell_offset + if(replicate = 0, draw, (hash(seed, replicate, cell, draw) % cell_units::ubigint)::bigint);
-- One cell's draws: the table is in cell order, so the other cells' rows are skipped, not drawn.
create or replace macro bootstrap_replicate_draws(seed, replicate, draw_cell) as table
select replicate::integer as replicate, bootstrap_unit_key(seed, replicate, cell, draw, cell_offset, cell_units) as unit_key
from cost_bootstrap_draws
where draw_cell is null or cell = draw_cell;
-- The draws of replicates first_replicate..last_replicate at once: the same units as each replicate's own
-- (its number an INTEGER, as a replicate written into bootstrap_replicate_draws is, so hash() takes the same
-- value). For few units a replicate (src/costs/index.ts, DRAWS_PER_BRANCH); with many, a crossed replicate
-- number is slower than a written one (1,000,000 persons: the bootstrap 40.0-40.9 against 33.3-38.2 s).
create or replace macro bootstrap_replicate_range_draws(seed, first_replicate, last_replicate, draw_cell) as table
select
    replicates.replicate::integer as replicate,
    bootstrap_unit_key(seed, replicates.replicate::integer, cell, draw, cell_offset, cell_units) as unit_key
from range(first_replicate, last_replicate + 1) as replicates(replicate), cost_bootstrap_draws
where draw_cell is null or cell = draw_cell;
