/**
 * sql/monitor/02_count_ever_employed.sql and 04_count_follow_up.sql on a
 * hand-made estimate (observed_person_months given as a table, and as
 * profiles with their weights): the weighted
 * share ever employed among the persons in the estimate each month, and each
 * person's status at the report months.
 */
import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';

/**
 * Months 1-3. T1 (treated) works from month 2; C1 (control, weight 0.25) never; C2 (control, weight 0.75) works in
 * month 1 and is out of the estimate in month 3 (its set lost its treated person: observed, no comparator); C3 dies
 * in month 2.
 */
async function loadEstimate(db: Database) {
  await db.run(
    'world',
    `create table cohort as select * from (values
         ('T1', 'IPS', 1, null::integer, null::varchar, null::integer),
         ('C1', 'TVR', 0, null, null, 2),
         ('C2', 'TVR', 0, null, null, null),
         ('C3', 'TVR', 0, 2, 'death', null)
     ) as t(person_id, arm, treated, censoring_event_month, censoring_reason, crossover_event_month);
     create table matches as select person_id, 1.0 as weight from cohort;
     create table panel_person_month as select * from (values
         ('T1', 1, true, false), ('T1', 2, true, true), ('T1', 3, true, true),
         ('C1', 1, true, false), ('C1', 2, true, false), ('C1', 3, true, false),
         ('C2', 1, true, true), ('C2', 2, true, false), ('C2', 3, true, false),
         ('C3', 1, true, false), ('C3', 2, false, null), ('C3', 3, false, null)
     ) as t(person_id, event_month, observed, employed_any)`,
  );
  await keyPanelPersons(db);
  await db.run(
    'estimate',
    `create table observed_person_months as
     select '' as subgroup, '' as level, 'matched' as weighting, person_id, cohort.treated, event_month,
         case when person_id = 'T1' then 1.0 when person_id = 'C1' then 0.25 else 0.75 end as weight, person_key
     from panel_person_month join cohort using (person_id)
     where observed and not (person_id = 'C2' and event_month = 3);
     -- the same estimate as the estimate stage leaves it for 02: persons by profile (here each its own) with the
     -- profiles' weights per month, and C1 weighted as by pairs, one person-month at a time
     create table sample_person_profiles as
     select '' as subgroup, '' as level, person_id, keys.person_key, row_number() over (order by person_id)::integer as profile_id
     from cohort join (select distinct person_id, person_key from panel_person_month) as keys using (person_id)
     where person_id <> 'C1';
     create table sample_profile_weights as
     select '' as subgroup, '' as level, profile_id, event_month, weighting, null::integer as treated, null::integer as subclass, weight
     from observed_person_months join sample_person_profiles using (subgroup, level, person_id);
     create view pair_weighted_person_months as select * from observed_person_months where person_id = 'C1'`,
  );
}

describe('monitoring of the estimate', () => {
  test('the share ever employed is weighted among the persons in the estimate that month', async () => {
    const rows = await withDatabase(async (db) => {
      await loadEstimate(db);
      await db.runFile('monitor/02_count_ever_employed.sql', { months_after: 3 });
      return db.query<{ arm: string; event_month: number; persons: number; persons_ever_employed: number; share_ever_employed: number }>(
        'read',
        `select arm, event_month, persons::integer as persons, persons_ever_employed::integer as persons_ever_employed, share_ever_employed
         from ever_employed order by arm, event_month`,
      );
    });
    expect(rows).toEqual([
      { arm: 'IPS', event_month: 1, persons: 1, persons_ever_employed: 0, share_ever_employed: 0 },
      { arm: 'IPS', event_month: 2, persons: 1, persons_ever_employed: 1, share_ever_employed: 1 },
      { arm: 'IPS', event_month: 3, persons: 1, persons_ever_employed: 1, share_ever_employed: 1 },
      // C2 worked in month 1: ever employed from then on, 0.75 of the weight of C1, C2 (and C3 in month 1)
      { arm: 'TVR', event_month: 1, persons: 3, persons_ever_employed: 1, share_ever_employed: 0.4285714286 }, // 0.75 / 1.75, rounded to 10 places
      { arm: 'TVR', event_month: 2, persons: 2, persons_ever_employed: 1, share_ever_employed: 0.75 },
      // month 3: C2 is out of the estimate, C1 never worked
      { arm: 'TVR', event_month: 3, persons: 1, persons_ever_employed: 0, share_ever_employed: 0 },
    ]);
  });

  test('each person has one status per report month: in the estimate, without comparator or censored', async () => {
    const rows = await withDatabase(async (db) => {
      await loadEstimate(db);
      // the cohort sample's estimate: every person in every month the panel observes
      await db.run(
        'unweighted',
        `insert into observed_person_months
         select '', '', 'unweighted', person_id, treated, event_month, 1.0, person_key
         from panel_person_month join cohort using (person_id) where observed`,
      );
      await db.runFile('monitor/04_count_follow_up.sql', { report_months: [1, 3], censor_control_at_treatment: false, treated: 'IPS' });
      return db.query<{ sample: string; arm: string; event_month: number; status: string; persons: number }>(
        'read',
        `select sample, arm, event_month, status, persons::integer as persons from follow_up
         where arm = 'TVR' and persons > 0 order by sample, event_month, status`,
      );
    });
    expect(rows).toEqual([
      // every cohort person the panel observes is in the cohort sample's estimate
      { sample: 'cohort', arm: 'TVR', event_month: 1, status: 'observed', persons: 3 },
      { sample: 'cohort', arm: 'TVR', event_month: 3, status: 'crossed_over', persons: 1 },
      { sample: 'cohort', arm: 'TVR', event_month: 3, status: 'death', persons: 1 },
      { sample: 'cohort', arm: 'TVR', event_month: 3, status: 'observed', persons: 2 },
      { sample: 'matched', arm: 'TVR', event_month: 1, status: 'observed', persons: 3 },
      { sample: 'matched', arm: 'TVR', event_month: 3, status: 'crossed_over', persons: 1 },
      { sample: 'matched', arm: 'TVR', event_month: 3, status: 'death', persons: 1 },
      { sample: 'matched', arm: 'TVR', event_month: 3, status: 'observed', persons: 1 },
      { sample: 'matched', arm: 'TVR', event_month: 3, status: 'without_comparator', persons: 1 },
    ]);
  });

  test('more persons in an estimate than the panel observes is an error, not a negative count', async () => {
    const run = withDatabase(async (db) => {
      await loadEstimate(db);
      // two controls in month 3's estimate the panel does not observe then: C3 (dead) and X1 (no panel at all)
      await db.run(
        'inconsistent',
        `insert into observed_person_months values ('', '', 'matched', 'C3', 0, 3, 0.75, 3), ('', '', 'matched', 'X1', 0, 3, 0.75, null)`,
      );
      await db.runFile('monitor/04_count_follow_up.sql', { report_months: [1, 3], censor_control_at_treatment: false, treated: 'IPS' });
    });
    await expect(run).rejects.toThrow(/more persons in the estimate than the panel observes/);
  });
});
