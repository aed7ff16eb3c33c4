-- Bad rows of the employment_periods extract: in each delivery, about
-- $bad_row_share of the delivered payroll periods, chosen by hash, get an
-- extra corrupted copy written right after them, with a fresh period_id (an
-- exact copy for `duplicate`). Kinds: date_format (DD/MM/YYYY), date_invalid (month 13,
-- 30 February, month 0), job_type_enum (FULLTIME), hours_negative,
-- wage_negative, required_empty, duplicate, unknown_person (a person_id not
-- in persons), end_before_start, bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_period. Writes: synth_employment_periods_bad_row.
create or replace table synth_employment_periods_bad_row as
with
chosen as (
    select
        periods.*,
        period_key as row_no,
        ['date_format', 'date_invalid', 'job_type_enum', 'hours_negative', 'wage_negative', 'required_empty',
         'duplicate', 'unknown_person', 'end_before_start', 'bsn_person_id']
            [synth_integer($seed, period_key, 'bad-period-kind/' || delivery_no, 1, 10)] as bad_kind,
        ['person_id', 'job_id', 'employer_id', 'period_start', 'period_end', 'hours_paid']
            [synth_integer($seed, period_key, 'bad-period-column/' || delivery_no, 1, 6)] as emptied_column,
        ['-13-40', '-02-30', '-00-15'][synth_integer($seed, period_key, 'bad-period-date/' || delivery_no, 1, 3)]
            as invalid_month_day
    from synth_delivered_period as periods
    where synth_uniform($seed, period_key, 'bad-period/' || delivery_no) < $bad_row_share
),
corrupted as (
    select
        delivery_no,
        if(bad_kind = 'duplicate', period_id, synth_pseudonym('W', $seed, synth_fresh_key_entity(delivery_no, row_no)))
            as period_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        if(bad_kind = 'required_empty' and emptied_column = 'job_id', null, job_id) as job_id,
        if(bad_kind = 'required_empty' and emptied_column = 'employer_id', null, employer_id) as employer_id,
        case
            when bad_kind = 'date_format' then strftime(period_start, '%d/%m/%Y')
            when bad_kind = 'required_empty' and emptied_column = 'period_start' then null
            else period_start::varchar
        end as period_start,
        case
            when bad_kind = 'date_invalid' then year(period_end)::varchar || invalid_month_day
            when bad_kind = 'end_before_start'
                then (period_start - synth_integer($seed, row_no, 'bad-period-days', 1, 20))::varchar
            when bad_kind = 'required_empty' and emptied_column = 'period_end' then null
            else period_end::varchar
        end as period_end,
        case
            when bad_kind = 'hours_negative' then (-1 - hours_paid)::decimal(18, 2)::varchar
            when bad_kind = 'required_empty' and emptied_column = 'hours_paid' then null
            else hours_paid::varchar
        end as hours_paid,
        if(bad_kind = 'wage_negative', (-1 - wage_eur)::decimal(18, 2)::varchar, wage_eur::varchar) as wage_eur,
        if(bad_kind = 'job_type_enum', 'FULLTIME', job_type) as job_type,
        row_no * 2 + 1 as file_order,
        bad_kind
    from chosen
)
select * from corrupted
