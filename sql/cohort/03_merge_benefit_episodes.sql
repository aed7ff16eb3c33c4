-- Benefit episodes: qualifying spells ($qualifying_benefits) that overlap or
-- follow each other with at most $episode_gap_days days between them (the
-- days on which neither runs: next start - previous end - 1) form one
-- episode, so a ZW spell followed by WGA after 104 weeks is one episode
-- whose start dates the benefit. An open end date counts as ongoing.
-- Only persons with a trajectory are needed.
-- Grain: one row per qualifying spell, with its episode's start.
-- Reads: benefit_spells, trajectories. Writes: qualifying_spell_episodes.
create or replace table qualifying_spell_episodes as
with
spells as (
    select spell_id, person_id, benefit_type, start_date, end_date, incapacity_cause
    from benefit_spells
    where list_contains($qualifying_benefits, benefit_type)
        and person_id in (select person_id from trajectories)
),
ordered as (
    select
        *,
        max(coalesce(end_date, date '9999-12-31')) over (
            partition by person_id order by start_date, coalesce(end_date, date '9999-12-31'), spell_id
            rows between unbounded preceding and 1 preceding
        ) as covered_to_before
    from spells
),
numbered as (
    select
        *,
        sum(case when covered_to_before is null or start_date - covered_to_before - 1 > $episode_gap_days then 1 else 0 end) over (
            partition by person_id order by start_date, coalesce(end_date, date '9999-12-31'), spell_id
            rows between unbounded preceding and current row
        ) as episode_no
    from ordered
),
episodes as (
    select
        * exclude (covered_to_before),
        min(start_date) over (partition by person_id, episode_no) as episode_start
    from numbered
)
select * from episodes
order by person_id, start_date, spell_id
