-- Bad rows of the persons extract: in each delivery, about $bad_row_share of
-- the clean rows, chosen by hash, get an extra corrupted copy written right
-- after them, with a fresh person_id (an exact copy for `duplicate`), so the
-- clean rows stay intact and the accepted data equals the generated data.
-- Kinds: sex_enum (sex Q), birth_year_range (1875), required_empty
-- (person_id, birth_year or sex empty), duplicate, bsn_person_id (9 digits
-- passing the 11-test), death_after_extract_date (1-400 days after the
-- delivery's extract date), death_before_birth (1-3 years before the birth
-- year).
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_person. Writes: synth_persons_bad_row.
create or replace table synth_persons_bad_row as
with
deliveries (delivery_no, extract_date) as (
    values (1, $first_extract_date::date), (2, $extract_date::date)
),
chosen as (
    select
        persons.*,
        deliveries.extract_date,
        person_no as row_no,
        ['sex_enum', 'birth_year_range', 'required_empty', 'duplicate', 'bsn_person_id', 'death_after_extract_date',
         'death_before_birth'][synth_integer($seed, person_no, 'bad-person-kind/' || persons.delivery_no, 1, 7)]
            as bad_kind,
        ['person_id', 'birth_year', 'sex']
            [synth_integer($seed, person_no, 'bad-person-column/' || persons.delivery_no, 1, 3)] as emptied_column
    from synth_delivered_person as persons
    join deliveries using (delivery_no)
    where synth_uniform($seed, person_no, 'bad-person/' || persons.delivery_no) < $bad_row_share
),
corrupted as (
    select
        delivery_no,
        case
            when bad_kind = 'duplicate' then person_id
            when bad_kind = 'bsn_person_id' then synth_bsn($seed, row_no)
            when bad_kind = 'required_empty' and emptied_column = 'person_id' then null
            else synth_pseudonym('P', $seed, synth_fresh_key_entity(delivery_no, row_no))
        end as person_id,
        case
            when bad_kind = 'birth_year_range' then '1875'
            when bad_kind = 'required_empty' and emptied_column = 'birth_year' then null
            else birth_year::varchar
        end as birth_year,
        case
            when bad_kind = 'sex_enum' then 'Q'
            when bad_kind = 'required_empty' and emptied_column = 'sex' then null
            else sex
        end as sex,
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
        row_no * 2 + 1 as file_order,
        bad_kind
    from chosen
)
select * from corrupted
