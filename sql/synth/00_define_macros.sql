-- Deterministic randomness and identifiers for the synthetic delivery.
-- Every draw is a hash of (seed, entity number, stream name), never random(),
-- so the output is the same whatever the thread count or row order.
-- Grain: none (macros). Reads: nothing. Writes: macros synth_*.

-- A 64-bit hash per (seed, entity, stream). hash(a, b, c) only XORs the
-- last column's hash in, which would make streams of one entity dependent;
-- hashing the entity once more through the single-value mixer does not.
-- The *_in forms take the stream's part, synth_stream_hash(seed, stream), computed
-- once: a statement drawing each of many rows from one of a few streams then
-- hashes no string per row (sql/synth/13, 41 M rows at 1 M persons: 4.3 -> 2.4 s).
create or replace macro synth_stream_hash(seed, stream) as hash(seed::bigint, stream);

create or replace macro synth_hash_in(stream_hash, entity) as hash(xor(stream_hash, entity::ubigint));

create or replace macro synth_hash(seed, entity, stream) as synth_hash_in(synth_stream_hash(seed, stream), entity);

-- A uniform draw in (0, 1): the top 53 bits, exact in a double, never 0 or 1.
create or replace macro synth_uniform_in(stream_hash, entity) as
    ((synth_hash_in(stream_hash, entity) >> 11)::double + 0.5) / 9007199254740992.0;

create or replace macro synth_uniform(seed, entity, stream) as synth_uniform_in(synth_stream_hash(seed, stream), entity);

-- A standard normal draw (Box-Muller over two uniforms).
create or replace macro synth_normal(seed, entity, stream) as
    sqrt(-2 * ln(synth_uniform(seed, entity, stream || '/radius')))
    * cos(2 * pi() * synth_uniform(seed, entity, stream || '/angle'));

-- A bijection of [0, 2^40): odd multipliers below 2^24 (so products fit in
-- 64 bits) around a xorshift; distinct entity numbers give distinct values.
create or replace macro synth_multiply_40(x, multiplier) as
    (x::ubigint * multiplier) & 1099511627775;

create or replace macro synth_scramble_40(x) as
    synth_multiply_40(xor(synth_multiply_40(x, 14923175), synth_multiply_40(x, 14923175) >> 20), 10435357);

-- An opaque pseudonym: prefix + 10 hex digits, unique per (prefix, entity < 2^40).
create or replace macro synth_pseudonym(prefix, seed, entity) as
    prefix || printf('%010x', xor(synth_scramble_40(entity), hash(seed::bigint, prefix) & 1099511627775));

-- A payroll period's own pseudonym, period_id (sql/synth/10, 16).
create or replace macro synth_period_id(seed, period_key) as synth_pseudonym('W', seed, period_key);

-- Weighted digit sum of the 11-test over the first 8 digits of an 8-digit number.
create or replace macro synth_bsn_weighted_sum(base) as
    9 * (base // 10000000 % 10) + 8 * (base // 1000000 % 10) + 7 * (base // 100000 % 10)
    + 6 * (base // 10000 % 10) + 5 * (base // 1000 % 10) + 4 * (base // 100 % 10)
    + 3 * (base // 10 % 10) + 2 * (base % 10);

-- Moves the 8th digit by one where no 9th digit could pass the 11-test.
create or replace macro synth_bsn_base(base) as
    case
        when synth_bsn_weighted_sum(base) % 11 <> 10 then base
        when base % 10 < 9 then base + 1
        else base - 1
    end;

create or replace macro synth_bsn_from_base(base) as
    format('{:08d}{:d}', base, synth_bsn_weighted_sum(base) % 11);

-- A 9-digit value passing the 11-test: looks like a real citizen service number.
create or replace macro synth_bsn(seed, entity) as
    synth_bsn_from_base(synth_bsn_base(synth_hash(seed, entity, 'bsn') % 100000000));

-- A whole number drawn uniformly from [low, high].
create or replace macro synth_integer_in(stream_hash, entity, low, high) as
    (low + floor(synth_uniform_in(stream_hash, entity) * (high - low + 1)))::integer;

create or replace macro synth_integer(seed, entity, stream, low, high) as
    synth_integer_in(synth_stream_hash(seed, stream), entity, low, high);

-- One element of a list, drawn uniformly.
create or replace macro synth_choice_in(stream_hash, entity, choices) as
    choices[synth_integer_in(stream_hash, entity, 1, len(choices))];

create or replace macro synth_choice(seed, entity, stream, choices) as
    synth_choice_in(synth_stream_hash(seed, stream), entity, choices);

-- Whole days until an event that happens at a constant rate per year
-- (exponential waiting time), at most 100 years.
create or replace macro synth_exponential_days(seed, entity, stream, rate_per_year) as
    least(floor(-ln(synth_uniform(seed, entity, stream)) / rate_per_year * 365.25), 36525)::integer;

-- The entity number of a bad row's fresh key, never a clean row's: clean keys
-- are below 2^38; fresh keys of delivery 1 start at 2^39, of delivery 2 at
-- 2^38 (unknown persons use 2^39 + 2^38 and up, see synth_bad_person_id).
create or replace macro synth_fresh_key_entity(delivery_no, row_no) as
    if(delivery_no = 1, 549755813888, 274877906944) + row_no;

-- Competitive job types in their usual mix.
create or replace macro synth_competitive_job_type(u) as
    case
        when u < 0.70 then 'REGULAR'
        when u < 0.87 then 'TEMP_AGENCY'
        when u < 0.95 then 'ON_CALL'
        when u < 0.99 then 'OTHER'
        else 'DIRECTOR'
    end;

-- Cause of incapacity on a sickness or disability spell; sometimes missing.
create or replace macro synth_incapacity_cause(u) as
    case
        when u < 0.65 then 'MENTAL'
        when u < 0.83 then 'PHYSICAL'
        when u < 0.92 then 'OTHER'
    end;

-- The fields of a bad row (sql/synth/14..18), as written. A bad row has one
-- bad_kind; a required_empty row empties its emptied_column.

-- The key of a bad row: the clean row's own for a duplicate, else fresh.
create or replace macro synth_bad_key(prefix, seed, delivery_no, row_no, bad_kind, key) as
    if(bad_kind = 'duplicate', key, synth_pseudonym(prefix, seed, synth_fresh_key_entity(delivery_no, row_no)));

-- A field of a bad row: empty where the row empties this column, else the value.
create or replace macro synth_emptied(bad_kind, emptied_column, column_name, value) as
    if(bad_kind = 'required_empty' and emptied_column = column_name, null, value);

-- A negative amount (amount_negative, hours_negative, ...): -1 minus the clean one.
create or replace macro synth_negative_amount(amount) as
    (-1 - amount)::decimal(18, 2)::varchar;

-- The person_id of a bad row of an extract linked to persons: a pseudonym not
-- in persons (unknown_person), a number passing the 11-test (bsn_person_id),
-- empty (required_empty on person_id), or the row's own.
create or replace macro synth_bad_person_id(seed, row_no, bad_kind, emptied_column, person_id) as
    case
        when bad_kind = 'unknown_person' then synth_pseudonym('P', seed, 824633720832 + row_no)
        when bad_kind = 'bsn_person_id' then synth_bsn(seed, row_no)
        else synth_emptied(bad_kind, emptied_column, 'person_id', person_id)
    end;

-- A start date of a bad row: DD/MM/YYYY (date_format), an impossible month
-- or day (date_invalid), empty (required_empty on start_date), or ISO.
create or replace macro synth_bad_start_date(bad_kind, emptied_column, start_date, invalid_month_day) as
    case
        when bad_kind = 'date_format' then strftime(start_date, '%d/%m/%Y')
        when bad_kind = 'date_invalid' then year(start_date)::varchar || invalid_month_day
        else synth_emptied(bad_kind, emptied_column, 'start_date', start_date::varchar)
    end;
