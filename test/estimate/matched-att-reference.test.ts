/**
 * The matched ATT and its primary standard error against R: lm(y ~ treated,
 * weights = weight) and sandwich::vcovCL(fit, cluster = ~subclass) on the
 * units of test/reference/matched-att (make-fixtures.R; R never runs here).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { quoteLiteral } from '../../src/db/database.js';
import { estimateDifferences } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { demoStudy } from '../support/warehouse.js';

const DIR = 'test/reference/matched-att';
interface Reference {
  estimate: number;
  se: number;
  clusters: number;
  persons: number;
}
const fixtures = JSON.parse(readFileSync(`${DIR}/fixtures.json`, 'utf8')) as { designs: Record<string, Record<string, Reference>> };

/** The design's units as the month's observed person-months (every outcome column present; two carry the fixture's values). */
async function estimateDesign(design: string, matching: ReturnType<typeof demoStudy>['matching']) {
  return withDatabase(async (db) => {
    await db.run(
      'observed person-months',
      `create table observed_person_months as
       select '' as subgroup, '' as level, 'matched' as weighting, treated::integer as treated, subclass::integer as subclass,
           weight::double as weight, 12 as event_month,
           employed_any::boolean as employed_any, employed_any::boolean as employed_48h,
           employed_any::boolean as on_benefit, employed_any::boolean as on_any_benefit,
           wage_eur::decimal(18, 2) as wage_eur, wage_eur::decimal(18, 2) as hours,
           wage_eur::decimal(18, 2) as benefit_eur, wage_eur::decimal(18, 2) as any_benefit_eur
       from read_csv(${quoteLiteral(`${DIR}/units.csv`)}, header = true)
       where design = ${quoteLiteral(design)}`,
    );
    await estimateDifferences(db, matching);
    return db.query<{ outcome: string; estimate: number; se: number; n: number }>(
      'read',
      `select outcome, estimate, se, (n_treated + n_control)::integer as n from effects
       where estimator = 'matched_att' and outcome in ('employed_any', 'wage_eur') order by outcome`,
    );
  });
}

describe('matched ATT against R (lm with weights + sandwich::vcovCL clustered by matched set)', () => {
  const exact = demoStudy().matching;
  const nearest = { ...exact, method: 'nearest' as const, replace: false };
  test.each([
    ['exact', exact],
    ['sets_1to2', nearest],
    ['pairs_1to1', nearest],
  ] as const)('%s: estimate and SE agree to 1e-6', async (design, matching) => {
    const rows = await estimateDesign(design, matching);
    expect(rows.map((row) => row.outcome)).toEqual(['employed_any', 'wage_eur']);
    for (const row of rows) {
      const reference = fixtures.designs[design]![row.outcome]!;
      expect(row.n, `${design} ${row.outcome} persons`).toBe(reference.persons);
      expect(Math.abs(row.estimate - reference.estimate), `${design} ${row.outcome} estimate`).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(reference.estimate)),
      );
      expect(Math.abs(row.se / reference.se - 1), `${design} ${row.outcome} se`).toBeLessThan(1e-6);
    }
  });
});
