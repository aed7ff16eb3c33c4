-- Bad rows of the trajectories extract: in each delivery, about
-- $bad_row_share of the clean rows, chosen by hash, get an extra corrupted
-- copy written right after them, with a fresh trajectory_id (an exact copy
-- for `duplicate`). Kinds: date_format (DD/MM/YYYY), date_invalid (month
-- 13, 30 February, month 0), programme_enum (IPSX), cost_negative,
-- required_empty, duplicate, unknown_person (a person_id not in persons),
-- end_before_start, bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_trajectory. Writes: synth_trajectories_bad_row.
create or replace table synth_trajectories_bad_row as
with
chosen as (
    select
        trajectories.*,
        trajectory_no as row_no,
        ['date_format', 'date_invalid', 'programme_enum', 'cost_negative', 'required_empty',
         'duplicate', 'unknown_person', 'end_before_start', 'bsn_person_id']
            [synth_integer($seed, trajectory_no, 'bad-trajectory-kind/' || delivery_no, 1, 9)] as bad_kind,
        ['person_id', 'programme', 'start_date', 'provider_id', 'funder']
            [synth_integer($seed, trajectory_no, 'bad-trajectory-column/' || delivery_no, 1, 5)] as emptied_column,
        ['-13-40', '-02-30', '-00-15'][synth_integer($seed, trajectory_no, 'bad-trajectory-date/' || delivery_no, 1, 3)]
            as invalid_month_day
    from synth_delivered_trajectory as trajectories
    where synth_uniform($seed, trajectory_no, 'bad-trajectory/' || delivery_no) < $bad_row_share
),
corrupted as (
    select
        delivery_no,
        if(bad_kind = 'duplicate', trajectory_id, synth_pseudonym('T', $seed, synth_fresh_key_entity(delivery_no, row_no)))
            as trajectory_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        case
            when bad_kind = 'programme_enum' then 'IPSX'
            when bad_kind = 'required_empty' and emptied_column = 'programme' then null
            else programme
        end as programme,
        synth_bad_start_date(bad_kind, emptied_column, start_date, invalid_month_day) as start_date,
        case
            when bad_kind = 'end_before_start'
                then (start_date - synth_integer($seed, row_no, 'bad-trajectory-days', 1, 200))::varchar
            else end_date::varchar
        end as end_date,
        if(bad_kind = 'required_empty' and emptied_column = 'provider_id', null, provider_id) as provider_id,
        if(bad_kind = 'required_empty' and emptied_column = 'funder', null, funder) as funder,
        target_group,
        case
            when bad_kind = 'cost_negative'
                then (-1 - coalesce(cost_eur, if(programme = 'IPS', 8000, 5000)))::decimal(18, 2)::varchar
            else cost_eur::varchar
        end as cost_eur,
        row_no * 2 + 1 as file_order,
        bad_kind
    from chosen
)
select * from corrupted
