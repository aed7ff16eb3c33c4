-- Bad rows of the persons extract: about $bad_row_share of the clean rows,
-- chosen by hash, get an extra corrupted copy written right after them, with
-- a fresh person_id (an exact copy for `duplicate`), so the clean rows stay
-- intact and the accepted data equals the generated data. Kinds: sex_enum
-- (sex Q), birth_year_range (1875), required_empty (person_id, birth_year or
-- sex empty), duplicate, bsn_person_id (9 digits passing the 11-test).
-- Grain: one row per bad line, fields as written.
-- Reads: synth_person. Writes: synth_persons_bad_row.
create or replace table synth_persons_bad_row as
with
chosen as (
    select
        person_no as row_no,
        person_id,
        birth_year,
        sex,
        region,
        ['sex_enum', 'birth_year_range', 'required_empty', 'duplicate', 'bsn_person_id']
            [synth_integer($seed, person_no, 'bad-person-kind', 1, 5)] as bad_kind,
        ['person_id', 'birth_year', 'sex'][synth_integer($seed, person_no, 'bad-person-column', 1, 3)] as emptied_column
    from synth_person
    where synth_uniform($seed, person_no, 'bad-person') < $bad_row_share
),
corrupted as (
    select
        case
            when bad_kind = 'duplicate' then person_id
            when bad_kind = 'bsn_person_id' then synth_bsn($seed, row_no)
            when bad_kind = 'required_empty' and emptied_column = 'person_id' then null
            else synth_pseudonym('P', $seed, 549755813888 + row_no)
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
        row_no * 2 + 1 as file_order,
        bad_kind
    from chosen
)
select * from corrupted
