-- Bad rows of the employment_periods extract: the corrupted copy of each
-- delivered payroll period chosen in synth_bad_row_choice, with a fresh
-- period_id (an exact copy for `duplicate`), written after the clean rows. Kinds:
-- date_format (DD/MM/YYYY), date_invalid (month 13, 30 February, month 0),
-- job_type_enum (FULLTIME), hours_negative, wage_negative, required_empty,
-- duplicate, unknown_person (a person_id not in persons), end_before_start,
-- bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_period, synth_bad_row_choice (through synth_chosen_rows).
-- Writes: synth_employment_periods_bad_row.
create or replace table synth_employment_periods_bad_row as
with
-- the clean rows' period_id made for the chosen rows alone, not for every delivered row (sql/synth/10)
periods as (select * exclude (period_id), period_key as row_no from synth_delivered_period),
chosen as (select * from synth_chosen_rows('employment_periods', 'periods')),
corrupted as (
    select
        delivery_no,
        synth_bad_key('W', $seed, delivery_no, row_no, bad_kind, synth_period_id($seed, row_no)) as period_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        synth_emptied(bad_kind, emptied_column, 'job_id', job_id) as job_id,
        synth_emptied(bad_kind, emptied_column, 'employer_id', employer_id) as employer_id,
        if(bad_kind = 'date_format', strftime(period_start, '%d/%m/%Y'),
           synth_emptied(bad_kind, emptied_column, 'period_start', period_start::varchar)) as period_start,
        case
            when bad_kind = 'date_invalid' then year(period_end)::varchar || invalid_month_day
            when bad_kind = 'end_before_start'
                then (period_start - synth_integer($seed, row_no, 'bad-period-days', 1, 20))::varchar
            else synth_emptied(bad_kind, emptied_column, 'period_end', period_end::varchar)
        end as period_end,
        if(bad_kind = 'hours_negative', synth_negative_amount(hours_paid),
           synth_emptied(bad_kind, emptied_column, 'hours_paid', hours_paid::varchar)) as hours_paid,
        if(bad_kind = 'wage_negative', synth_negative_amount(wage_eur), wage_eur::varchar) as wage_eur,
        if(bad_kind = 'job_type_enum', 'FULLTIME', job_type) as job_type,
        row_no as file_order,
        bad_kind
    from chosen
)
select * from corrupted
