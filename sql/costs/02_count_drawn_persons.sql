-- drawn_mass(weight), drawn_euros(weight, euros) and drawn_effect_mass(
-- effect_weight, in_effect): how much a drawn person counts in the bootstrap's
-- sums (02_index_bootstrap_units.sql) when the design has no matching weights
-- (rematched_within_arms, sets): its euros as they are, rounded to
-- DECIMAL(18, 6) through DOUBLE as the weighted ones are; once, and in the
-- effect month's estimate or not, as TINYINT. DuckDB sums small
-- integers in BIGINT states, and the drawn rows carry a byte each, where
-- DECIMAL(18, 6) terms go to HUGEINT states: at 1,000,000 persons a statement
-- of 56 replicates 2.5-3.3 -> 2.0-2.4 s, the same replicate means. With
-- matching weights (fixed_weights_within_arms), 02_weigh_drawn_persons.sql
-- defines them.
-- Reads: (none). Writes: (the macros drawn_mass, drawn_euros, drawn_effect_mass).
create or replace macro drawn_mass(weight) as 1::tinyint;
create or replace macro drawn_euros(weight, euros) as euros::double::decimal(18, 6);
create or replace macro drawn_effect_mass(effect_weight, in_effect) as in_effect::tinyint;
