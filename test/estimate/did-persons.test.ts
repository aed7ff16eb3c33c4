// The DiD's persons and months (sql/estimate/04_*), found through bit masks
// without joining the panel, against their definition: the months of
// observed_person_months (sql/estimate/00) of each sample's matched
// weighting. Samples of all three kinds: matched sets (the study's), pairs
// with replacement (a level), weights given without either (another level).
import { describe, expect, test } from 'vitest';
import { columnPattern, type Database } from '../../src/db/database.js';
import { maskObservedMonths } from '../../src/estimate/event-study-did.js';
import { weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';
import { seededUniform } from '../support/seeded-random.js';

const MONTHS = [-3, -2, -1, 0, 1, 2, 3];
const PERSONS = 60;

/** A panel where each person misses months at random (some every month), an outcome constant for every fifth person. */
async function loadWorld(db: Database) {
  const random = seededUniform(20261130);
  const panel: string[] = [];
  for (let person = 0; person < PERSONS; person++) {
    for (const month of MONTHS) {
      const observed = person % 13 !== 0 && random() > 0.25;
      const employed = person % 5 === 0 ? 'false' : String(random() > 0.5);
      panel.push(`('p${person}', ${month}, ${observed}, ${employed}, ${(random() * 40).toFixed(2)})`);
    }
  }
  await db.run(
    'panel',
    `create table panel_person_month as
     select person_id, event_month, observed, employed_any, hours::decimal(18, 2) as hours,
         employed_any as employed_48h, hours::decimal(18, 2) as wage_eur, employed_any as on_benefit,
         hours::decimal(18, 2) as benefit_eur, employed_any as on_any_benefit, hours::decimal(18, 2) as any_benefit_eur
     from (values ${panel.join(', ')}) as t(person_id, event_month, observed, employed_any, hours)`,
  );
  await keyPanelPersons(db);
  // The study: sets of 6 persons, the first two treated. Level 'pairs': pairs of a treated person and two controls
  // drawn with replacement. Level 'given': every third person, weights given.
  await db.run(
    'matches',
    `create table matches as
     select 'p' || i as person_id, (i % 6 < 2)::integer as treated, (i // 6)::integer as subclass, 1.0 + (i % 3) as weight
     from range(${PERSONS}) as t(i);
     create table subgroup_matches as
     select 'x' as subgroup, 'pairs' as level, 'p' || i as person_id, (i % 4 = 0)::integer as treated, null::integer as subclass,
         1.0 as weight
     from range(${PERSONS}) as t(i)
     union all
     select 'x', 'given', 'p' || i, (i % 2)::integer, null, 0.5 + i / 100 from range(0, ${PERSONS}, 3) as t(i);
     create table match_pairs (subclass integer, person_id varchar, treated integer, pair_weight double);
     create table subgroup_match_pairs as
     select 'x' as subgroup, 'pairs' as level, (t // 4)::integer as subclass, 'p' || t as person_id, 1 as treated, 1.0 as pair_weight
     from range(0, ${PERSONS}, 4) as r(t)
     union all
     select 'x', 'pairs', (t // 4)::integer, 'p' || ((t * 7 + k) % ${PERSONS} // 4 * 4 + 1 + k), 0, 0.5
     from range(0, ${PERSONS}, 4) as r(t), range(2) as s(k)`,
  );
  await weightObservedMonths(db);
}

describe('the DiD persons of a sample (04)', () => {
  test.each([
    ['', ''],
    ['x', 'pairs'],
    ['x', 'given'],
  ])('months in the estimate are those of observed_person_months (sample "%s" "%s")', async (subgroup, level) => {
    const { found, defined, contributing } = await withDatabase(async (db) => {
      await loadWorld(db);
      const panelMonths = await maskObservedMonths(db);
      await db.runFile('estimate/04_select_did_persons.sql', {
        subgroup,
        level,
        first_month: panelMonths.firstMonth,
        last_month: panelMonths.lastMonth,
        outcome_pattern: columnPattern(['employed_any']),
      });
      return {
        found: await db.query(
          'found',
          `select person_id, months_observed, observed_months
           from did_persons join did_patterns using (pattern) order by person_id`,
        ),
        defined: await db.query(
          'defined',
          `select person_id, count(*)::integer as months_observed, list(event_month order by event_month) as observed_months
           from observed_person_months
           where subgroup = $subgroup and level = $level and weighting = 'matched'
           group by person_id order by person_id`,
          { subgroup, level },
        ),
        // a 0/1 outcome's deviations are all 0 when it is one value over the person's observed months
        contributing: await db.query<{ contributes: boolean; varies: boolean }>(
          'contributes',
          `select did_persons.contributes, min(panel.employed_any) <> max(panel.employed_any) as varies
           from did_persons join panel_person_month as panel using (person_id)
           where panel.observed group by person_id, did_persons.contributes`,
        ),
      };
    });
    expect(defined.length).toBeGreaterThan(10);
    expect(found).toEqual(defined);
    expect(contributing.every(({ contributes, varies }) => contributes === varies)).toBe(true);
    expect(contributing.filter(({ contributes }) => !contributes).length).toBeGreaterThan(0);
  });

  test('a set or pair compared in fewer months than its persons are observed restricts their months', async () => {
    const restricted = await withDatabase(async (db) => {
      await loadWorld(db);
      return db.query<{ samples: number }>(
        'restricted',
        `with
         observed as (select person_id, count(*) as months from panel_person_month where observed group by person_id),
         estimated as (
             select subgroup, level, person_id, count(*) as months from observed_person_months
             where weighting = 'matched' group by all
         )
         select count(distinct (subgroup, level))::integer as samples
         from estimated join observed using (person_id) where estimated.months < observed.months`,
      );
    });
    // the agreement above is tested where sets and pairs matter, not only where every observed month counts
    expect(restricted[0]!.samples).toBe(2);
  });
});
