-- The four extracts of each delivery exactly as written: every clean row,
-- rendered as text (dates YYYY-MM-DD, amounts with 2 decimals, null = empty
-- field), and the bad rows right after the row they copy. Within a delivery,
-- file_order (clean row number x 2, + 1 for its bad copy) is unique and fixes
-- the line order. Views, so the largest extract is not held twice.
-- Grain: one row per delivery x line of <extract>.csv.gz.
-- Reads: synth_delivered_*, synth_*_bad_row.
-- Writes: views synth_persons_file, synth_benefit_spells_file,
-- synth_employment_periods_file, synth_trajectories_file.
create or replace view synth_persons_file as
with
clean as (
    select
        delivery_no, person_id, birth_year::varchar as birth_year, sex, region, birth_month::varchar as birth_month,
        death_date::varchar as death_date, emigration_date::varchar as emigration_date, person_no * 2 as file_order,
        null as bad_kind
    from synth_delivered_person
),
bad as (select * from synth_persons_bad_row),
file_rows as (
    select * from clean
    union all by name
    select * from bad
)
select * from file_rows;

create or replace view synth_benefit_spells_file as
with
clean as (
    select
        delivery_no, spell_id, person_id, benefit_type, start_date::varchar as start_date, end_date::varchar as end_date,
        monthly_amount_eur::varchar as monthly_amount_eur, incapacity_cause, spell_no * 2 as file_order,
        null as bad_kind
    from synth_delivered_spell
),
bad as (select * from synth_benefit_spells_bad_row),
file_rows as (
    select * from clean
    union all by name
    select * from bad
)
select * from file_rows;

create or replace view synth_employment_periods_file as
with
clean as (
    select
        delivery_no, period_id, person_id, job_id, employer_id, period_start::varchar as period_start,
        period_end::varchar as period_end, hours_paid::varchar as hours_paid, wage_eur::varchar as wage_eur,
        job_type, period_key * 2 as file_order, null as bad_kind
    from synth_delivered_period
),
bad as (select * from synth_employment_periods_bad_row),
file_rows as (
    select * from clean
    union all by name
    select * from bad
)
select * from file_rows;

create or replace view synth_trajectories_file as
with
clean as (
    select
        delivery_no, trajectory_id, person_id, programme, start_date::varchar as start_date, end_date::varchar as end_date,
        provider_id, funder, target_group, cost_eur::varchar as cost_eur, trajectory_no * 2 as file_order,
        null as bad_kind
    from synth_delivered_trajectory
),
bad as (select * from synth_trajectories_bad_row),
file_rows as (
    select * from clean
    union all by name
    select * from bad
)
select * from file_rows;
