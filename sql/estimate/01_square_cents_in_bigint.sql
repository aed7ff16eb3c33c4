-- cents_squared(y): an amount's square in whole cents, which sql/estimate/01_sum_outcomes.sql sums exactly,
-- when every amount of the panel lies below 30,000,000 (the caller checks): (3 x 10^9)^2 < 2^63, so the
-- square is a BIGINT, whose sum DuckDB keeps in a HUGEINT from BIGINT terms (at 1,000,000 persons the study's
-- statement alone 6.9-7.7 -> 5.3-5.5 s against HUGEINT products, the same sums). Otherwise
-- 01_square_cents_in_hugeint.sql defines it.
-- Reads: (none). Writes: (the macro cents_squared).
create or replace macro cents_squared(y) as (y * 100)::bigint * (y * 100)::bigint
