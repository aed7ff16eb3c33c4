-- The view cost_replicate_set_sums under the sets design: each drawn set of
-- the statement's replicates (cost_replicate_drawn, joined to
-- cost_bootstrap_sets) with its arms' sums, a row per draw: a set drawn
-- twice counts as two sets, each weighted as the ATT weighs a set.
-- Made once the statement's view of drawn units exists (DuckDB binds a view
-- when it is made); it reads whichever that view is then.
-- Grain: one row per replicate x draw.
-- Reads: cost_replicate_drawn. Writes: cost_replicate_set_sums (a view).
create or replace temp view cost_replicate_set_sums as
select
    replicate,
    matched_set,
    n1,
    n0,
    intervention1,
    intervention0,
    benefit1,
    benefit0,
    healthcare1,
    healthcare0,
    observed1,
    observed0,
    effect1,
    effect0
from cost_replicate_drawn;
