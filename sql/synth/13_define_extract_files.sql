-- The four extracts exactly as written: every clean row, rendered as text
-- (dates YYYY-MM-DD, amounts with 2 decimals, null = empty field), and the
-- bad rows right after the row they copy. file_order (clean row number x 2,
-- + 1 for its bad copy) is unique and fixes the line order. Views, so the
-- largest extract is not held twice.
-- Grain: one row per line of <extract>.csv.gz.
-- Reads: synth_person, synth_benefit_spell, synth_payroll_period,
-- synth_trajectory, synth_*_bad_row.
-- Writes: views synth_persons_file, synth_benefit_spells_file,
-- synth_employment_periods_file, synth_trajectories_file.
create or replace view synth_persons_file as
with
clean as (
    select person_id, birth_year::varchar as birth_year, sex, region, person_no * 2 as file_order, null as bad_kind
    from synth_person
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
persons as (select person_no, person_id from synth_person),
clean as (
    select
        spell_id, person_id, benefit_type, start_date::varchar as start_date, end_date::varchar as end_date,
        monthly_amount_eur::varchar as monthly_amount_eur, incapacity_cause, spell_no * 2 as file_order,
        null as bad_kind
    from synth_benefit_spell
    join persons using (person_no)
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
persons as (select person_no, person_id from synth_person),
clean as (
    select
        period_id, person_id, job_id, employer_id, period_start::varchar as period_start,
        period_end::varchar as period_end, hours_paid::varchar as hours_paid, wage_eur::varchar as wage_eur,
        job_type, period_key * 2 as file_order, null as bad_kind
    from synth_payroll_period
    join persons using (person_no)
    where is_observed
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
persons as (select person_no, person_id from synth_person),
clean as (
    select
        trajectory_id, person_id, programme, start_date::varchar as start_date, end_date::varchar as end_date,
        provider_id, funder, target_group, cost_eur::varchar as cost_eur, trajectory_no * 2 as file_order,
        null as bad_kind
    from synth_trajectory
    join persons using (person_no)
),
bad as (select * from synth_trajectories_bad_row),
file_rows as (
    select * from clean
    union all by name
    select * from bad
)
select * from file_rows;
