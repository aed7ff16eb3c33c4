-- band_label(value, starts): the label of the band `value` falls in, for
-- ascending band starts; e.g. starts [18, 30, 40, 50] gives '<18', '18-29',
-- '30-39', '40-49', '50+'. Used to coarsen covariates for exact matching.
-- Reads: (none). Writes: (the macro band_label, no table).
create or replace macro band_label(value, starts) as (
    case
        when value is null then null
        when len(list_filter(starts, s -> s <= value)) = 0 then '<' || starts[1]::varchar
        when len(list_filter(starts, s -> s <= value)) = len(starts) then starts[len(starts)]::varchar || '+'
        when starts[len(list_filter(starts, s -> s <= value)) + 1] - 1 = starts[len(list_filter(starts, s -> s <= value))]
            then starts[len(list_filter(starts, s -> s <= value))]::varchar
        else starts[len(list_filter(starts, s -> s <= value))]::varchar
            || '-' || (starts[len(list_filter(starts, s -> s <= value)) + 1] - 1)::varchar
    end
)
