-- Benefit spells of both potential worlds.
--   index spell    (slot 1) the spell ongoing at the index date, of the
--                  latent benefit_type (3% WW/BIJSTAND: not qualifying). It
--                  starts at the episode start (benefit_start), or 1-32 days
--                  after the end of a chain's ZW spell. Its end is the
--                  world's episode end: the earlier of the day before the
--                  world's first post-index job starts, when that job has
--                  >= 48 h/month (half of the persons), and a shared end
--                  90-1800 days after the index date (35%); else ongoing. A
--                  ZW spell stops at its 104-week maximum (728 days).
--   older WW       (slot 2) a quarter of trajectory persons: ended 30-365
--                  days before the episode started
--   background     (slots 3, 4) persons without a trajectory
--   chain ZW       (slot 5) 60% of persons on WGA or IVA at the index date
--                  whose episode is >= 25 months: ZW from the episode start
--                  for 104 weeks; the index spell follows after a gap
--                  (start - end - 1) of 0-31 days, so the episode, and the
--                  latent benefit_months_band, start with the ZW spell
--   older episode  (slot 6) 8% of trajectory persons (not those of slot 2):
--                  a ZW spell of 60-700 days that ended with a gap of 32-299
--                  days (a quarter exactly 32) before the episode started: a
--                  separate episode that must not count in the duration
--   WGA after ZW   (slot 7) 60% of ZW spells that reach the maximum after the
--                  index date go on as WGA from the next day to the world's
--                  episode end
--   WW after job   (slot 8) in each world, 40% (not on WW at the index date)
--                  get WW from the day after their first post-index job ends,
--                  for 90-360 days (drawn per world)
--   BIJSTAND       (slot 9) 5% of trajectory persons (not on BIJSTAND at the
--                  index date), the same in both worlds: from 6-30 months
--                  after the index month, for 6-24 months
-- world: shared (both worlds), control, or ips (only for persons whose first
-- programme is IPS); is_observed: shared or the person's own world.
-- Every spell ends at death or emigration; a sickness or disability spell
-- also ends the day before the state-pension date when that is after the
-- index date (persons already past it at the index date keep theirs: a
-- register oddity the population rule catches). A spell starting after its
-- end is dropped, so is one starting after the extract date; an end after the
-- extract date is empty (ongoing).
-- spell_no = person_no * 16 + slot keeps numbers unique and ordered by
-- person; spell_id is its pseudonym, the same in both worlds.
-- Grain: one row per spell and world.
-- Reads: synth_person, synth_life_event, synth_first_job. Writes: synth_benefit_spell.
create or replace table synth_benefit_spell as
with
persons as (
    select synth_person.*, life.death_date, life.emigration_date, life.state_pension_date
    from synth_person
    join synth_life_event as life using (person_no)
),
trajectory_persons as (select * from persons where has_trajectory),
first_jobs as (select * from synth_first_job),
monthly_amounts (benefit_type, low_eur, high_eur) as (
    values
        ('ZW', 1200, 2200), ('WGA', 1200, 2200), ('IVA', 1500, 2600), ('WAJONG', 1100, 1400),
        ('WAO', 1000, 2200), ('WW', 900, 2400), ('BIJSTAND', 1000, 1400)
),
-- An episode of >= 25 months leaves room for 728 days of ZW and a gap of up
-- to 31 days before the index date (25 months minus 27 days >= 730 days).
chains as (
    select
        person_no,
        benefit_start as zw_start,
        benefit_start + 727 as zw_end,
        benefit_start + 728
            + least(synth_integer($seed, person_no, 'chain-gap', 0, 31), (index_date - benefit_start - 728)::integer)
            as index_spell_start
    from trajectory_persons
    where benefit_type in ('WGA', 'IVA') and benefit_months >= 25 and synth_uniform($seed, person_no, 'chain') < 0.6
),
episodes as (
    select
        trajectory_persons.*,
        coalesce(chains.index_spell_start, trajectory_persons.benefit_start) as index_spell_start,
        synth_uniform($seed, person_no, 'benefit-ends-at-job') < 0.5 as ends_at_job,
        if(synth_uniform($seed, person_no, 'benefit-ends') < 0.35,
           index_date + synth_integer($seed, person_no, 'benefit-end-days', 90, 1800), null) as shared_end
    from trajectory_persons
    left join chains using (person_no)
),
worlds (world) as (values ('control'), ('ips')),
world_episodes as (
    select
        episodes.*,
        worlds.world,
        if(worlds.world = 'ips', first_jobs.ips_start, first_jobs.control_start) as first_job_start,
        first_jobs.job_days as first_job_days,
        first_jobs.monthly_hours as first_job_monthly_hours
    from episodes
    join first_jobs using (person_no)
    join worlds on worlds.world = 'control' or episodes.programme = 'IPS'
),
ended as (
    select
        *,
        least(if(ends_at_job and first_job_monthly_hours >= 48, first_job_start - 1, null), shared_end) as episode_end,
        index_spell_start + 727 as zw_maximum_end
    from world_episodes
),
index_spells as (
    select
        person_no,
        1 as slot,
        world,
        benefit_type,
        index_spell_start as start_date,
        case
            when benefit_type = 'ZW' and (episode_end is null or episode_end > zw_maximum_end) then zw_maximum_end
            else episode_end
        end as end_date
    from ended
),
older_ww_spells as (
    select
        person_no,
        2 as slot,
        'shared' as world,
        'WW' as benefit_type,
        benefit_start - synth_integer($seed, person_no, 'older-ww-gap', 30, 365)
            - synth_integer($seed, person_no, 'older-ww-days', 60, 700) as start_date,
        benefit_start - synth_integer($seed, person_no, 'older-ww-gap', 30, 365) as end_date
    from trajectory_persons
    where synth_uniform($seed, person_no, 'older-ww') < 0.25
),
background_first_draws as (
    select
        person_no,
        synth_uniform($seed, person_no, 'background-benefit') as type_draw,
        date '2009-01-01' + synth_integer($seed, person_no, 'background-benefit-start', 0, 3999) as start_date
    from persons
    where not has_trajectory and synth_uniform($seed, person_no, 'background-benefit-none') >= 0.1
),
background_first_spells as (
    select
        person_no,
        3 as slot,
        'shared' as world,
        case
            when type_draw < 0.50 then 'WW'
            when type_draw < 0.80 then 'BIJSTAND'
            when type_draw < 0.88 then 'ZW'
            when type_draw < 0.95 then 'WGA'
            when type_draw < 0.97 then 'WAJONG'
            when type_draw < 0.99 then 'IVA'
            else 'WAO'
        end as benefit_type,
        start_date,
        case when synth_uniform($seed, person_no, 'background-benefit-ongoing') >= 0.2
            then start_date + synth_integer($seed, person_no, 'background-benefit-days', 60, 1500)
        end as end_date
    from background_first_draws
),
background_second_spells as (
    select
        person_no,
        4 as slot,
        'shared' as world,
        if(synth_uniform($seed, person_no, 'background-second-type') < 0.6, 'WW', 'BIJSTAND') as benefit_type,
        end_date + synth_integer($seed, person_no, 'background-second-gap', 30, 400) as start_date,
        case when synth_uniform($seed, person_no, 'background-second-ongoing') >= 0.5
            then end_date + synth_integer($seed, person_no, 'background-second-gap', 30, 400)
                + synth_integer($seed, person_no, 'background-second-days', 60, 700)
        end as end_date
    from background_first_spells
    where end_date is not null and synth_uniform($seed, person_no, 'background-second') < 0.3
),
chain_zw_spells as (
    select person_no, 5 as slot, 'shared' as world, 'ZW' as benefit_type, zw_start as start_date, zw_end as end_date
    from chains
),
older_episode_shapes as (
    select
        person_no,
        birth_year,
        benefit_start,
        if(synth_uniform($seed, person_no, 'older-episode-edge') < 0.25, 32,
           synth_integer($seed, person_no, 'older-episode-gap', 33, 299)) as gap_days,
        synth_integer($seed, person_no, 'older-episode-days', 60, 700) as spell_days
    from trajectory_persons
    where synth_uniform($seed, person_no, 'older-ww') >= 0.25 and synth_uniform($seed, person_no, 'older-ww') < 0.33
),
older_episode_spells as (
    select
        person_no,
        6 as slot,
        'shared' as world,
        'ZW' as benefit_type,
        benefit_start - gap_days - spell_days as start_date,
        benefit_start - gap_days - 1 as end_date
    from older_episode_shapes
    -- Nobody is on benefit before age 17.
    where benefit_start - gap_days - spell_days >= make_date(birth_year + 17, 1, 1)
),
zw_continued_spells as (
    select person_no, 7 as slot, world, 'WGA' as benefit_type, zw_maximum_end + 1 as start_date, episode_end as end_date
    from ended
    where benefit_type = 'ZW'
      and (episode_end is null or episode_end > zw_maximum_end)
      and synth_uniform($seed, person_no, 'zw-continues-as-wga') < 0.6
),
ww_after_job_spells as (
    select
        person_no,
        8 as slot,
        world,
        'WW' as benefit_type,
        first_job_start + first_job_days as start_date,
        first_job_start + first_job_days - 1 + synth_integer($seed, person_no, 'ww-after-job-days/' || world, 90, 360)
            as end_date
    from ended
    where benefit_type <> 'WW' and synth_uniform($seed, person_no, 'ww-after-job') < 0.4
),
bijstand_starts as (
    select
        person_no,
        (index_month + to_months(synth_integer($seed, person_no, 'bijstand-month', 6, 30)))::date
            + synth_integer($seed, person_no, 'bijstand-day', 0, 27) as start_date
    from trajectory_persons
    where benefit_type <> 'BIJSTAND' and synth_uniform($seed, person_no, 'bijstand') < 0.05
),
bijstand_spells as (
    select
        person_no,
        9 as slot,
        'shared' as world,
        'BIJSTAND' as benefit_type,
        start_date,
        (start_date + to_months(synth_integer($seed, person_no, 'bijstand-months', 6, 24)))::date - 1 as end_date
    from bijstand_starts
),
all_spells as (
    select * from index_spells
    union all select * from older_ww_spells
    union all select * from background_first_spells
    union all select * from background_second_spells
    union all select * from chain_zw_spells
    union all select * from older_episode_spells
    union all select * from zw_continued_spells
    union all select * from ww_after_job_spells
    union all select * from bijstand_spells
),
capped as (
    select
        all_spells.*,
        all_spells.world = 'shared' or all_spells.world = if(persons.programme = 'IPS', 'ips', 'control') as is_observed,
        least(
            persons.death_date,
            persons.emigration_date,
            if(all_spells.benefit_type in ('ZW', 'WGA', 'IVA', 'WAJONG', 'WAO')
               and persons.state_pension_date > persons.index_date, persons.state_pension_date - 1, null)
        ) as last_possible_date
    from all_spells
    join persons using (person_no)
),
ended_spells as (
    select * exclude (end_date), person_no * 16 + slot as spell_no, least(end_date, last_possible_date) as end_date
    from capped
    where last_possible_date is null or start_date <= last_possible_date
),
described as (
    select
        person_no,
        spell_no,
        synth_pseudonym('S', $seed, spell_no) as spell_id,
        world,
        is_observed,
        ended_spells.benefit_type,
        start_date,
        if(end_date > $extract_date::date, null, end_date) as end_date,
        round(low_eur + (high_eur - low_eur) * synth_uniform($seed, spell_no, 'benefit-amount'), 2)::decimal(18, 2)
            as monthly_amount_eur,
        if(ended_spells.benefit_type in ('WW', 'BIJSTAND'), null,
           synth_incapacity_cause(synth_uniform($seed, spell_no, 'incapacity-cause'))) as incapacity_cause
    from ended_spells
    join monthly_amounts using (benefit_type)
    where start_date <= $extract_date::date
)
select * from described
