-- Bad rows of the persons extract: the corrupted copy of each clean row
-- chosen in synth_bad_row_choice, with a fresh person_id (an exact copy for
-- `duplicate`), written after the clean rows.
-- Kinds: sex_enum (sex Q), birth_year_range (1875), required_empty
-- (person_id, birth_year or sex empty), duplicate, bsn_person_id (9 digits
-- passing the 11-test), death_after_extract_date (1-400 days after the
-- delivery's extract date), death_before_birth (1-3 years before the birth
-- year).
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_person, synth_bad_row_choice (through synth_chosen_rows).
-- Writes: synth_persons_bad_row.
create or replace table synth_persons_bad_row as
with
deliveries (delivery_no, extract_date) as (
    values (1, $first_extract_date::date), (2, $extract_date::date)
),
persons as (
    select synth_delivered_person.*, person_no as row_no, deliveries.extract_date
    from synth_delivered_person
    join deliveries using (delivery_no)
),
chosen as (select * from synth_chosen_rows('persons', 'persons')),
corrupted as (
    select
        delivery_no,
        if(bad_kind = 'bsn_person_id', synth_bsn($seed, row_no),
           synth_emptied(bad_kind, emptied_column, 'person_id',
                         synth_bad_key('P', $seed, delivery_no, row_no, bad_kind, person_id))) as person_id,
        if(bad_kind = 'birth_year_range', '1875', synth_emptied(bad_kind, emptied_column, 'birth_year', birth_year::varchar))
            as birth_year,
        if(bad_kind = 'sex_enum', 'Q', synth_emptied(bad_kind, emptied_column, 'sex', sex)) as sex,
        region,
        birth_month::varchar as birth_month,
        case
            when bad_kind = 'death_after_extract_date'
                then (extract_date + synth_integer($seed, row_no, 'bad-person-death-days', 1, 400))::varchar
            when bad_kind = 'death_before_birth'
                then make_date(
                    birth_year - synth_integer($seed, row_no, 'bad-person-death-years', 1, 3),
                    synth_integer($seed, row_no, 'bad-person-death-month', 1, 12),
                    synth_integer($seed, row_no, 'bad-person-death-day', 1, 28)
                )::varchar
            else death_date::varchar
        end as death_date,
        emigration_date::varchar as emigration_date,
        row_no as file_order,
        bad_kind
    from chosen
)
select * from corrupted
