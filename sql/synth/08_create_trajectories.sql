-- Vocational trajectories.
--   first     (slot 1) starts on the index date, in the person's programme
--   second    (slot 2) 3% later get a trajectory of the other programme,
--             760-1160 days after the index date (the "had both" case)
--   later IPS (slot 3) 8% of persons whose first programme is TVR start IPS
--             in event month 3..30 (uniform), on any day of it
--   same day  (slot 4) 1% of persons whose first programme is IPS also start
--             TVR on the index date: the population rule excludes them
-- None of them changes a person's outcomes: those stay the ones of the
-- first programme's world.
-- IPS runs at six mental-health providers, TVR at nine reintegration
-- providers; UWV funds most, municipalities fund most BIJSTAND clients.
-- IPS costs about EUR 8,000 (5,600-10,400), TVR about EUR 5,000; some
-- costs, end dates and target groups are missing. A trajectory ends at death
-- or emigration; one starting after it, or after the extract date, is
-- dropped; an end after the extract date is empty.
-- trajectory_no = person_no * 8 + slot keeps numbers unique and ordered;
-- trajectory_id is its pseudonym.
-- Grain: one row per trajectory.
-- Reads: synth_person, synth_life_event. Writes: synth_trajectory.
create or replace table synth_trajectory as
with
persons as (select * from synth_person where has_trajectory),
first_trajectories as (
    select person_no, 1 as slot, programme, index_date as start_date, benefit_type
    from persons
),
second_trajectories as (
    select
        person_no,
        2 as slot,
        if(programme = 'IPS', 'TVR', 'IPS') as programme,
        index_date + synth_integer($seed, person_no, 'second-trajectory-start', 760, 1160) as start_date,
        benefit_type
    from persons
    where synth_uniform($seed, person_no, 'second-trajectory') < 0.03
),
later_ips_months as (
    select
        person_no,
        benefit_type,
        (index_month + to_months(synth_integer($seed, person_no, 'later-ips-month', 3, 30)))::date as start_month
    from persons
    where programme = 'TVR' and synth_uniform($seed, person_no, 'later-ips') < 0.08
),
later_ips_trajectories as (
    select
        person_no,
        3 as slot,
        'IPS' as programme,
        start_month + synth_integer($seed, person_no, 'later-ips-day', 0, day(last_day(start_month)) - 1) as start_date,
        benefit_type
    from later_ips_months
),
same_day_trajectories as (
    select person_no, 4 as slot, 'TVR' as programme, index_date as start_date, benefit_type
    from persons
    where programme = 'IPS' and synth_uniform($seed, person_no, 'same-day-tvr') < 0.01
),
all_trajectories as (
    select * from first_trajectories
    union all select * from second_trajectories
    union all select * from later_ips_trajectories
    union all select * from same_day_trajectories
),
numbered as (
    select *, person_no * 8 + slot as trajectory_no
    from all_trajectories
),
described as (
    select
        person_no,
        trajectory_no,
        synth_pseudonym('T', $seed, trajectory_no) as trajectory_id,
        programme,
        start_date,
        case when synth_uniform($seed, trajectory_no, 'trajectory-end-missing') >= 0.08
            then start_date + synth_integer($seed, trajectory_no, 'trajectory-days', 183, 730)
        end as end_date,
        'PRV' || lpad(
            if(programme = 'IPS', synth_integer($seed, trajectory_no, 'provider', 1, 6),
                                  synth_integer($seed, trajectory_no, 'provider', 7, 15))::varchar,
            2, '0') as provider_id,
        if(synth_uniform($seed, trajectory_no, 'funder') < if(benefit_type = 'BIJSTAND', 0.8, 0.1),
           'MUNICIPALITY', 'UWV') as funder,
        case
            when synth_uniform($seed, trajectory_no, 'target-group') < if(programme = 'IPS', 0.80, 0.25) then 'SMI'
            when synth_uniform($seed, trajectory_no, 'target-group') < if(programme = 'IPS', 0.92, 0.70) then 'CMD'
        end as target_group,
        case when synth_uniform($seed, trajectory_no, 'cost-missing') >= 0.06
            then round(if(programme = 'IPS', 8000, 5000)
                       * (0.7 + 0.6 * synth_uniform($seed, trajectory_no, 'cost')), 2)::decimal(18, 2)
        end as cost_eur
    from numbered
),
life_events as (select person_no, least(death_date, emigration_date) as left_date from synth_life_event),
cut as (
    select
        described.* exclude (end_date),
        if(least(end_date, left_date) > $extract_date::date, null, least(end_date, left_date)) as end_date
    from described
    join life_events using (person_no)
    where start_date <= least($extract_date::date, left_date)
)
select person_no, trajectory_no, trajectory_id, programme, start_date, end_date, provider_id, funder, target_group, cost_eur
from cut
