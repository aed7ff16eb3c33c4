-- cents_squared(y): an amount's square in whole cents, which sql/estimate/01_sum_outcomes.sql sums exactly,
-- when some amount of the panel reaches 30,000,000 (the caller checks): a HUGEINT product, exact for any
-- DECIMAL(18, 2). Otherwise 01_square_cents_in_bigint.sql defines it, a BIGINT one.
-- Reads: (none). Writes: (the macro cents_squared).
create or replace macro cents_squared(y) as (y * 100)::bigint::hugeint * (y * 100)::bigint
