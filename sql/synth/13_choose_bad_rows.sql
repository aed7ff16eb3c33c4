-- Which clean rows get a bad copy, and how it is corrupted. In each delivery,
-- about $bad_row_share of the rows of each extract, chosen by hash of their
-- row number, get an extra corrupted copy, written after the clean rows
-- (sql/synth/14..18 build it, one file per extract, so the clean rows stay
-- intact and the accepted data equals the generated data). Per extract: the
-- kinds of corruption, drawn uniformly, and the columns a required_empty copy
-- may leave empty; date_invalid writes one of three impossible month-days.
-- Draws are per (row number, 'bad-<stream>[-kind|-column|-date]/<delivery_no>').
-- Grain: synth_bad_row_choice, one row per extract x delivery x chosen clean
-- row.
-- Reads: synth_delivered_person, synth_delivered_spell, synth_delivered_period,
-- synth_delivered_trajectory, synth_delivered_healthcare_cost.
-- Writes: synth_bad_row_choice, macro synth_chosen_rows.
create or replace table synth_bad_row_choice as
with
extracts (extract_no, extract, stream, kinds, emptied_columns) as (
    values
        (1, 'persons', 'person',
         ['sex_enum', 'birth_year_range', 'required_empty', 'duplicate', 'bsn_person_id', 'death_after_extract_date',
          'death_before_birth'],
         ['person_id', 'birth_year', 'sex']),
        (2, 'benefit_spells', 'spell',
         ['date_format', 'date_invalid', 'benefit_type_enum', 'amount_negative', 'required_empty', 'duplicate',
          'unknown_person', 'end_before_start', 'bsn_person_id'],
         ['person_id', 'benefit_type', 'start_date', 'monthly_amount_eur']),
        (3, 'employment_periods', 'period',
         ['date_format', 'date_invalid', 'job_type_enum', 'hours_negative', 'wage_negative', 'required_empty',
          'duplicate', 'unknown_person', 'end_before_start', 'bsn_person_id'],
         ['person_id', 'job_id', 'employer_id', 'period_start', 'period_end', 'hours_paid']),
        (4, 'trajectories', 'trajectory',
         ['date_format', 'date_invalid', 'programme_enum', 'cost_negative', 'required_empty', 'duplicate',
          'unknown_person', 'end_before_start', 'bsn_person_id'],
         ['person_id', 'programme', 'start_date', 'provider_id', 'funder']),
        (5, 'healthcare_costs', 'healthcare-cost',
         ['year_range', 'year_after_extract_date', 'category_enum', 'cost_negative', 'required_empty', 'duplicate',
          'unknown_person', 'bsn_person_id'],
         ['person_id', 'year', 'category', 'cost_eur'])
),
clean_rows as (
    select 1 as extract_no, delivery_no, person_no as row_no from synth_delivered_person
    union all
    select 2, delivery_no, spell_no from synth_delivered_spell
    union all
    select 3, delivery_no, period_key from synth_delivered_period
    union all
    select 4, delivery_no, trajectory_no from synth_delivered_trajectory
    union all
    select 5, delivery_no, cost_row_no from synth_delivered_healthcare_cost
),
-- each stream's hash once per extract and delivery, not per row
streams as (
    select
        extract_no,
        extract,
        delivery_no,
        kinds,
        emptied_columns,
        synth_stream_hash($seed, 'bad-' || stream || '/' || delivery_no) as chosen_hash,
        synth_stream_hash($seed, 'bad-' || stream || '-kind/' || delivery_no) as kind_hash,
        synth_stream_hash($seed, 'bad-' || stream || '-column/' || delivery_no) as column_hash,
        synth_stream_hash($seed, 'bad-' || stream || '-date/' || delivery_no) as date_hash
    from extracts
    cross join (values (1), (2)) as deliveries(delivery_no)
),
-- the rows chosen first, joined on numbers and with one hash per row: the
-- 41 M clean rows at 1,000,000 persons are never joined to the lists and
-- strings, only the 0.4 M chosen ones are (the statement 5.4 -> 1.4 s of CPU)
chosen_rows as (
    select extract_no, delivery_no, row_no
    from clean_rows
    join (select extract_no, delivery_no, chosen_hash from streams) using (extract_no, delivery_no)
    where synth_uniform_in(chosen_hash, row_no) < $bad_row_share
),
chosen as (
    select
        extract,
        delivery_no,
        row_no,
        synth_choice_in(kind_hash, row_no, kinds) as bad_kind,
        synth_choice_in(column_hash, row_no, emptied_columns) as emptied_column,
        synth_choice_in(date_hash, row_no, ['-13-40', '-02-30', '-00-15']) as invalid_month_day
    from chosen_rows
    join streams using (extract_no, delivery_no)
)
select * from chosen;

-- The rows of `clean_rows` (one extract's delivered rows, numbered in row_no)
-- that get a bad copy, with what it gets.
create or replace macro synth_chosen_rows(extract_name, clean_rows) as table
    select clean_rows.*, choice.bad_kind, choice.emptied_column, choice.invalid_month_day
    from query_table(clean_rows) as clean_rows
    join synth_bad_row_choice as choice using (delivery_no, row_no)
    where choice.extract = extract_name
