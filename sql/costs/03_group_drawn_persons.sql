-- The view cost_replicate_set_sums under the designs that draw persons
-- (rematched_within_arms, fixed_weights_within_arms): the drawn persons of the
-- statement's replicates (cost_replicate_drawn) summed per replicate, matched
-- set and arm, plain sums, then the two arms side by side (filtered sums over
-- every drawn row cost twice as much). Set and arm are one integer, set_arm
-- (2 x set + treated, 02_index_bootstrap_units.sql): one key to group on and
-- one column fewer to read per drawn person (the 999 replicates of the
-- 1,000,000-person world's 593,298 persons, apart: 0.87-0.96 of the two
-- keys' wall time, three calls of five pairs; the same sums). With fixed
-- weights every person is in one set, so a replicate has two groups.
-- Made once the statement's view of drawn persons exists (DuckDB binds a view
-- when it is made); it reads whichever that view is then.
-- Grain: one row per replicate x matched set.
-- Reads: cost_replicate_drawn. Writes: cost_replicate_set_sums (a view).
create or replace temp view cost_replicate_set_sums as
with
arm_sums as (
    select
        replicate,
        set_arm,
        sum(mass) as n,
        sum(intervention) as intervention,
        sum(benefit) as benefit,
        sum(healthcare) as healthcare,
        sum(effect_mass) as observed,
        sum(effect_in_work) as effect
    from cost_replicate_drawn
    group by replicate, set_arm
)
select
    replicate,
    set_arm // 2 as matched_set,
    any_value(n) filter (where set_arm % 2 = 1) as n1,
    any_value(n) filter (where set_arm % 2 = 0) as n0,
    any_value(intervention) filter (where set_arm % 2 = 1) as intervention1,
    any_value(intervention) filter (where set_arm % 2 = 0) as intervention0,
    any_value(benefit) filter (where set_arm % 2 = 1) as benefit1,
    any_value(benefit) filter (where set_arm % 2 = 0) as benefit0,
    any_value(healthcare) filter (where set_arm % 2 = 1) as healthcare1,
    any_value(healthcare) filter (where set_arm % 2 = 0) as healthcare0,
    any_value(observed) filter (where set_arm % 2 = 1) as observed1,
    any_value(observed) filter (where set_arm % 2 = 0) as observed0,
    any_value(effect) filter (where set_arm % 2 = 1) as effect1,
    any_value(effect) filter (where set_arm % 2 = 0) as effect0
from arm_sums
group by replicate, set_arm // 2;
