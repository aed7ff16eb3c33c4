-- Bad rows of the trajectories extract: the corrupted copy of each clean row
-- chosen in synth_bad_row_choice, with a fresh trajectory_id (an exact copy
-- for `duplicate`), written after the clean rows. Kinds: date_format (DD/MM/YYYY),
-- date_invalid (month 13, 30 February, month 0), programme_enum (IPSX),
-- cost_negative, required_empty, duplicate, unknown_person (a person_id not
-- in persons), end_before_start, bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_trajectory, synth_bad_row_choice (through synth_chosen_rows).
-- Writes: synth_trajectories_bad_row.
create or replace table synth_trajectories_bad_row as
with
trajectories as (select *, trajectory_no as row_no from synth_delivered_trajectory),
chosen as (select * from synth_chosen_rows('trajectories', 'trajectories')),
corrupted as (
    select
        delivery_no,
        synth_bad_key('T', $seed, delivery_no, row_no, bad_kind, trajectory_id) as trajectory_id,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        if(bad_kind = 'programme_enum', 'IPSX', synth_emptied(bad_kind, emptied_column, 'programme', programme))
            as programme,
        synth_bad_start_date(bad_kind, emptied_column, start_date, invalid_month_day) as start_date,
        if(bad_kind = 'end_before_start',
           (start_date - synth_integer($seed, row_no, 'bad-trajectory-days', 1, 200))::varchar, end_date::varchar)
            as end_date,
        synth_emptied(bad_kind, emptied_column, 'provider_id', provider_id) as provider_id,
        synth_emptied(bad_kind, emptied_column, 'funder', funder) as funder,
        target_group,
        if(bad_kind = 'cost_negative', synth_negative_amount(coalesce(cost_eur, if(programme = 'IPS', 8000, 5000))),
           cost_eur::varchar) as cost_eur,
        row_no as file_order,
        bad_kind
    from chosen
)
select * from corrupted
