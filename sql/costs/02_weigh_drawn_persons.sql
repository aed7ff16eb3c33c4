-- drawn_mass(weight), drawn_euros(weight, euros) and drawn_effect_mass(
-- effect_weight, in_effect): how much a drawn person counts in the bootstrap's
-- sums (02_index_bootstrap_units.sql) under nearest-neighbour matching with
-- replacement (fixed_weights_within_arms): its matching weight, its euros so
-- weighted, and its weight in the effect month's matched ATT, each rounded to
-- DECIMAL(18, 6) (int64 sums: exact). Without matching weights, 02_count_drawn_persons.sql defines them.
-- Reads: (none). Writes: (the macros drawn_mass, drawn_euros, drawn_effect_mass).
create or replace macro drawn_mass(weight) as weight::decimal(18, 6);
create or replace macro drawn_euros(weight, euros) as (weight * euros)::decimal(18, 6);
create or replace macro drawn_effect_mass(effect_weight, in_effect) as effect_weight::decimal(18, 6);
