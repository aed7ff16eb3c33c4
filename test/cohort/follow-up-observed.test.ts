/**
 * sql/cohort/03: a person's follow-up counts as observed only when its last
 * month is complete in the newest employment and benefit extracts.
 */
import { describe, expect, test } from 'vitest';
import { createWarehouseTables } from '../../src/ingest/index.js';
import { withDatabase } from '../support/delivery.js';

const PARAMETERS = {
  qualifying_benefits: ['WGA'],
  incapacity_causes: [],
  target_groups: [],
  treated: 'IPS',
  control: 'TVR',
  index_from: '2012-01-01',
  index_to: '2019-12-31',
  age_min: 18,
  age_max: 66,
  exclude_both_programmes: false,
  months_after: 36,
};

describe('the follow-up rule', () => {
  test('the older of the newest employment and benefit extracts bounds the follow-up', async () => {
    const followedUp = await withDatabase(async (db) => {
      await createWarehouseTables(db);
      await db.run(
        'deliveries',
        `insert into ingested_files values
            ('d1', '2018-06-30', 'e1.csv', 'employment_periods', 'x', 1, 1, 0, 'r'),
            -- the newest employment extract ends on a month's last day: December 2019 is complete
            ('d2', '2019-12-31', 'e2.csv', 'employment_periods', 'x', 1, 1, 0, 'r'),
            -- benefits are complete to February 2020
            ('d2', '2020-03-15', 'b2.csv', 'benefit_spells', 'x', 1, 1, 0, 'r')`,
      );
      await db.run('persons', "insert into persons values ('A', 1980, 'F', null, 'd2'), ('B', 1980, 'M', null, 'd2')");
      await db.run(
        'trajectories',
        `insert into trajectories values
            ('T1', 'A', 'IPS', '2016-12-31', null, 'PR1', 'UWV', 'SMI', null, 'd2'),
            ('T2', 'B', 'IPS', '2017-01-01', null, 'PR1', 'UWV', 'SMI', null, 'd2')`,
      );
      await db.runFile('cohort/03_select_candidates.sql', PARAMETERS);
      return db.query<{ person_id: string; is_followed_up: boolean }>('read', 'select person_id, is_followed_up from cohort_candidates order by person_id');
    });
    // A: index month 2016-12, month 36 = 2019-12, observed. B: 2020-01, not yet.
    expect(followedUp).toEqual([
      { person_id: 'A', is_followed_up: true },
      { person_id: 'B', is_followed_up: false },
    ]);
  });
});
