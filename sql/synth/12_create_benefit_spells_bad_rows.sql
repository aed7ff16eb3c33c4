-- Bad rows of the benefit_spells extract: in each delivery, about
-- $bad_row_share of the clean rows, chosen by hash, get an extra corrupted
-- copy written right after them, with a fresh spell_id (an exact copy for
-- `duplicate`). Kinds: date_format (DD/MM/YYYY), date_invalid (month 13,
-- 30 February, month 0), benefit_type_enum (XX), amount_negative,
-- required_empty, duplicate, unknown_person (a person_id not in persons),
-- end_before_start, bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_spell. Writes: synth_benefit_spells_bad_row.
create or replace table synth_benefit_spells_bad_row as
with
chosen as (
    select
        spells.*,
        spell_no as row_no,
        ['date_format', 'date_invalid', 'benefit_type_enum', 'amount_negative', 'required_empty',
         'duplicate', 'unknown_person', 'end_before_start', 'bsn_person_id']
            [synth_integer($seed, spell_no, 'bad-spell-kind/' || delivery_no, 1, 9)] as bad_kind,
        ['person_id', 'benefit_type', 'start_date', 'monthly_amount_eur']
            [synth_integer($seed, spell_no, 'bad-spell-column/' || delivery_no, 1, 4)] as emptied_column,
        ['-13-40', '-02-30', '-00-15'][synth_integer($seed, spell_no, 'bad-spell-date/' || delivery_no, 1, 3)]
            as invalid_month_day
    from synth_delivered_spell as spells
    where synth_uniform($seed, spell_no, 'bad-spell/' || delivery_no) < $bad_row_share
),
corrupted as (
    select
        delivery_no,
        if(bad_kind = 'duplicate', spell_id, synth_pseudonym('S', $seed, synth_fresh_key_entity(delivery_no, row_no)))
            as spell_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        case
            when bad_kind = 'benefit_type_enum' then 'XX'
            when bad_kind = 'required_empty' and emptied_column = 'benefit_type' then null
            else benefit_type
        end as benefit_type,
        synth_bad_start_date(bad_kind, emptied_column, start_date, invalid_month_day) as start_date,
        case
            when bad_kind = 'end_before_start'
                then (start_date - synth_integer($seed, row_no, 'bad-spell-days', 1, 400))::varchar
            else end_date::varchar
        end as end_date,
        case
            when bad_kind = 'amount_negative' then (-1 - monthly_amount_eur)::decimal(18, 2)::varchar
            when bad_kind = 'required_empty' and emptied_column = 'monthly_amount_eur' then null
            else monthly_amount_eur::varchar
        end as monthly_amount_eur,
        incapacity_cause,
        row_no * 2 + 1 as file_order,
        bad_kind
    from chosen
)
select * from corrupted
