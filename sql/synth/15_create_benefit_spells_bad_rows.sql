-- Bad rows of the benefit_spells extract: the corrupted copy of each clean
-- row chosen in synth_bad_row_choice, with a fresh spell_id (an exact copy
-- for `duplicate`), written after the clean rows. Kinds: date_format (DD/MM/YYYY),
-- date_invalid (month 13, 30 February, month 0), benefit_type_enum (XX),
-- amount_negative, required_empty, duplicate, unknown_person (a person_id not
-- in persons), end_before_start, bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_spell, synth_bad_row_choice (through synth_chosen_rows).
-- Writes: synth_benefit_spells_bad_row.
create or replace table synth_benefit_spells_bad_row as
with
spells as (select *, spell_no as row_no from synth_delivered_spell),
chosen as (select * from synth_chosen_rows('benefit_spells', 'spells')),
corrupted as (
    select
        delivery_no,
        synth_bad_key('S', $seed, delivery_no, row_no, bad_kind, spell_id) as spell_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        if(bad_kind = 'benefit_type_enum', 'XX', synth_emptied(bad_kind, emptied_column, 'benefit_type', benefit_type))
            as benefit_type,
        synth_bad_start_date(bad_kind, emptied_column, start_date, invalid_month_day) as start_date,
        if(bad_kind = 'end_before_start',
           (start_date - synth_integer($seed, row_no, 'bad-spell-days', 1, 400))::varchar, end_date::varchar) as end_date,
        if(bad_kind = 'amount_negative', synth_negative_amount(monthly_amount_eur),
           synth_emptied(bad_kind, emptied_column, 'monthly_amount_eur', monthly_amount_eur::varchar)) as monthly_amount_eur,
        incapacity_cause,
        row_no as file_order,
        bad_kind
    from chosen
)
select * from corrupted
