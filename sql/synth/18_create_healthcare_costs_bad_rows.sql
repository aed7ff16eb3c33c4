-- Bad rows of the healthcare_costs extract: the corrupted copy of each clean
-- row chosen in synth_bad_row_choice, written after the clean rows. The key is
-- the clean row's (person_id, year, category) unless the corruption changes
-- it, so every copy but an unknown person's fails a rule before the
-- duplicate key rule, and `duplicate` is an exact copy.
-- Kinds: year_range (2005, before the Zvw), year_after_extract_date (the
-- year after the delivery's extract date), category_enum (DENTAL),
-- cost_negative, required_empty, duplicate, unknown_person (a person_id
-- not in persons), bsn_person_id.
-- Grain: one row per bad line, fields as written.
-- Reads: synth_delivered_healthcare_cost, synth_bad_row_choice (through
-- synth_chosen_rows). Writes: synth_healthcare_costs_bad_row.
create or replace table synth_healthcare_costs_bad_row as
with
deliveries (delivery_no, extract_date) as (
    values (1, $first_extract_date::date), (2, $extract_date::date)
),
costs as (
    select synth_delivered_healthcare_cost.*, cost_row_no as row_no, deliveries.extract_date
    from synth_delivered_healthcare_cost
    join deliveries using (delivery_no)
),
chosen as (select * from synth_chosen_rows('healthcare_costs', 'costs')),
corrupted as (
    select
        delivery_no,
        synth_bad_person_id($seed, row_no, bad_kind, emptied_column, person_id) as person_id,
        case
            when bad_kind = 'year_range' then '2005'
            when bad_kind = 'year_after_extract_date' then (year(extract_date) + 1)::varchar
            else synth_emptied(bad_kind, emptied_column, 'year', year::varchar)
        end as year,
        if(bad_kind = 'category_enum', 'DENTAL', synth_emptied(bad_kind, emptied_column, 'category', category)) as category,
        if(bad_kind = 'cost_negative', synth_negative_amount(cost_eur),
           synth_emptied(bad_kind, emptied_column, 'cost_eur', cost_eur::varchar)) as cost_eur,
        row_no as file_order,
        bad_kind
    from chosen
)
select * from corrupted
