/**
 * The matched ATT and its primary standard error against R: lm(y ~ treated,
 * weights = weight) and sandwich::vcovCL(fit, cluster = ~subclass) on the
 * units of test/reference/matched-att (make-fixtures.R; R never runs here);
 * with replacement, the same regression on get_matches()-style rows (one per
 * person per pair) with vcovCL(fit, cluster = ~subclass + id), as MatchIt's
 * vignette "Estimating effects" describes for matching with replacement.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { quoteLiteral } from '../../src/db/database.js';
import type { PanelMonths } from '../../src/estimate/event-study-did.js';
import { estimateDifferences, profileSamplePersons, weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';
import { demoStudy } from '../support/warehouse.js';

const DIR = 'test/reference/matched-att';
interface Reference {
  estimate: number;
  se: number;
  clusters: number;
  persons: number;
}
/** Matching with replacement: the month's pairs, rows (pair members) and persons, and the one-way SEs beside the two-way one. */
interface ReplacementReference {
  estimate: number;
  se: number;
  se_pair: number;
  se_person: number;
  pairs: number;
  persons: number;
  rows: number;
  n_treated: number;
  n_control: number;
}
const fixtures = JSON.parse(readFileSync(`${DIR}/fixtures.json`, 'utf8')) as {
  designs: Record<string, Record<string, Reference>> & Record<'replace_1to1' | 'replace_1to2', Record<string, ReplacementReference>>;
};

const exact = demoStudy().matching;
const nearest = { ...exact, method: 'nearest' as const, replace: false };

/** The design's units as the month's observed person-months, with the fixture's weights given (every outcome column present; two carry the fixture's values). */
async function estimateDesign(design: string, matching: ReturnType<typeof demoStudy>['matching']) {
  return withDatabase(async (db) => {
    await db.run(
      'observed person-months',
      `create table observed_person_months as
       select '' as subgroup, '' as level, 'matched' as weighting, person_id, treated::integer as treated, subclass::integer as subclass,
           weight::double as weight, 12 as event_month,
           employed_any::boolean as employed_any, employed_any::boolean as employed_48h,
           employed_any::boolean as on_benefit, employed_any::boolean as on_any_benefit,
           wage_eur::decimal(18, 2) as wage_eur, wage_eur::decimal(18, 2) as hours,
           wage_eur::decimal(18, 2) as benefit_eur, wage_eur::decimal(18, 2) as any_benefit_eur
       from read_csv(${quoteLiteral(`${DIR}/units.csv`)}, header = true)
       where design = ${quoteLiteral(design)}`,
    );
    await db.run('no pairs', 'create table observed_pair_months as select * from observed_person_months limit 0');
    // sql/estimate/01 sums the samples' persons' panel months with weights given (the fixture's) apart from those it takes up in sets
    await db.run(
      'weights given',
      `create view did_observed_months as
       select person_id, (row_number() over (order by person_id) - 1)::integer as person_key
       from (select distinct person_id from observed_person_months);
       create view panel_person_month as
       select person_id, event_month, true as observed,
           * exclude (subgroup, level, weighting, person_id, treated, subclass, weight, event_month), keys.person_key
       from observed_person_months
       join did_observed_months as keys using (person_id);
       create view sample_weightings as
       select subgroup, level, weighting, person_id, treated, subclass, weight, 'given' as weight_source from observed_person_months;
       create table matched_set_months (subgroup varchar, level varchar, subclass integer, event_month integer,
           treated_observed bigint, control_observed bigint);
       create view pair_weighted_person_months as select * from observed_person_months limit 0;
       create view paired_samples as select '' as subgroup, '' as level limit 0`,
    );
    await db.runFile('estimate/00_define_set_month_weight.sql');
    const panelMonths = { firstMonth: 12, lastMonth: 12 };
    await profileSamplePersons(db, panelMonths);
    await estimateDifferences(db, matching, panelMonths, 2 ** 20);
    return db.query<{ outcome: string; estimate: number; se: number; n: number }>(
      'read',
      `select outcome, estimate, se, (n_treated + n_control)::integer as n from effects
       where estimator = 'matched_att' and outcome in ('employed_any', 'wage_eur') order by outcome`,
    );
  });
}

describe('matched ATT against R (lm with weights + sandwich::vcovCL clustered by matched set)', () => {
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

interface EstimateRow {
  subgroup: string;
  outcome: string;
  estimate: number;
  se: number;
  n_treated: number;
  n_control: number;
  ci_method: string;
}

/**
 * A design matched with replacement as the warehouse holds it: `matches` (no subclass), `match_pairs` (the
 * get_matches rows) and month 12 of the panel with some persons not observed, or that month's rows again as each
 * of `months`; the same sample again as the subgroup level target_group = X. Returns the panel's months.
 */
async function loadReplacementDesign(db: Database, design: string, months: number[] = [12]): Promise<PanelMonths> {
  const units = `read_csv(${quoteLiteral(`${DIR}/replacement-units.csv`)}, header = true)`;
  const pairs = `read_csv(${quoteLiteral(`${DIR}/replacement-pairs.csv`)}, header = true)`;
  const where = `where design = ${quoteLiteral(design)}`;
  await db.run(
    'matches',
    `create table matches as
     select person_id, treated::integer as treated, null::integer as subclass, weight::double as weight, null::double as ps
     from ${units} ${where}`,
  );
  await db.run(
    'match pairs',
    `create table match_pairs as
     select subclass::integer as subclass, person_id, treated::integer as treated, pair_weight::double as pair_weight
     from ${pairs} ${where}`,
  );
  await db.run(
    'subgroup level',
    `create table subgroup_matches as select 'target_group' as subgroup, 'X' as level, * exclude (ps) from matches;
     create table subgroup_match_pairs as select 'target_group' as subgroup, 'X' as level, * from match_pairs`,
  );
  await db.run(
    'panel',
    `create table panel_person_month as
     select person_id, months.event_month, observed = 1 as observed,
         case when observed = 1 then employed_any = 1 end as employed_any,
         case when observed = 1 then employed_any = 1 end as employed_48h,
         case when observed = 1 then wage_eur::decimal(18, 2) end as hours,
         case when observed = 1 then wage_eur::decimal(18, 2) end as wage_eur,
         case when observed = 1 then employed_any = 1 end as on_benefit,
         case when observed = 1 then wage_eur::decimal(18, 2) end as benefit_eur,
         case when observed = 1 then employed_any = 1 end as on_any_benefit,
         case when observed = 1 then wage_eur::decimal(18, 2) end as any_benefit_eur
     from ${units}, (select unnest([${months.join(', ')}]) as event_month) as months ${where}`,
  );
  await keyPanelPersons(db);
  return weightObservedMonths(db);
}

/** Steps 00-03 of the estimate stage on the replacement design (loadReplacementDesign). */
async function estimateReplacementDesign(design: string): Promise<EstimateRow[]> {
  return withDatabase(async (db) => {
    await estimateDifferences(db, { ...nearest, replace: true }, await loadReplacementDesign(db, design), 2 ** 20);
    return db.query<EstimateRow>(
      'read',
      `select '' as subgroup, outcome, estimate, se, n_treated::integer as n_treated, n_control::integer as n_control, ci_method
       from effects where estimator = 'matched_att' and outcome in ('employed_any', 'wage_eur')
       union all
       select subgroup, outcome, estimate, se, n_treated::integer, n_control::integer, ci_method
       from subgroup_effects where estimator = 'matched_att' and outcome = 'employed_any'
       order by subgroup, outcome`,
    );
  });
}

describe('matched ATT with replacement against R (get_matches rows + sandwich::vcovCL(cluster = ~subclass + id))', () => {
  test.each(['replace_1to1', 'replace_1to2'] as const)(
    '%s: estimate, persons and the two-way SE agree to 1e-6, for the study and a subgroup level',
    async (design) => {
      const rows = await estimateReplacementDesign(design);
      expect(rows.map((row) => `${row.subgroup}:${row.outcome}`)).toEqual([':employed_any', ':wage_eur', 'target_group:employed_any']);
      for (const row of rows) {
        const reference = fixtures.designs[design][row.outcome]!;
        const label = `${design} ${row.subgroup} ${row.outcome}`;
        expect([row.n_treated, row.n_control], `${label} persons`).toEqual([reference.n_treated, reference.n_control]);
        expect(Math.abs(row.estimate - reference.estimate), `${label} estimate`).toBeLessThan(
          1e-6 * Math.max(1, Math.abs(reference.estimate)),
        );
        expect(Math.abs(row.se / reference.se - 1), `${label} se`).toBeLessThan(1e-6);
        expect(row.ci_method).toContain('clustered by pair and by person');
      }
    },
  );

  test('the fixtures can tell the two-way SE from either one-way SE, and have pairs that left the month', () => {
    for (const design of ['replace_1to1', 'replace_1to2'] as const) {
      for (const reference of Object.values(fixtures.designs[design])) {
        expect(Math.abs(reference.se_pair / reference.se - 1)).toBeGreaterThan(1e-2);
        expect(Math.abs(reference.se_person / reference.se - 1)).toBeGreaterThan(1e-2);
        // controls serve several pairs: more pair rows than persons in the pairs
        expect(reference.rows).toBeGreaterThan(reference.persons);
      }
    }
    // 1:2 with persons not observed: some of its 150 pairs are out of the month
    expect(fixtures.designs.replace_1to2.employed_any!.pairs).toBeLessThan(150);
  });

  test("summed a range of months at a time, or all at once, the samples' effects and arm means are the same bits", async () => {
    const months = [10, 11, 12, 13, 14];
    const estimateInRanges = (rowsPerRange: number) =>
      withDatabase(async (db) => {
        await estimateDifferences(db, { ...nearest, replace: true }, await loadReplacementDesign(db, 'replace_1to2', months), rowsPerRange);
        const read = (table: string) => db.query<Record<string, unknown>>('read', `select * from ${table} order by all`);
        // outcome_sums keeps the last statement's sums: the last sample's last range of months
        const lastSummed = await db.query<{ event_month: number }>('last sums', 'select distinct event_month from outcome_sums order by 1');
        return {
          effects: await read('effects'),
          subgroupEffects: await read('subgroup_effects'),
          armMeans: await read('arm_means'),
          lastSummed: lastSummed.map((row) => row.event_month),
        };
      });
    const whole = await estimateInRanges(2 ** 20);
    const monthly = await estimateInRanges(1);
    expect(whole.lastSummed).toEqual(months);
    expect(monthly.lastSummed).toEqual([14]);
    expect(whole.effects.length).toBeGreaterThan(0);
    expect(new Set(whole.effects.map((row) => row.event_month))).toEqual(new Set(months));
    expect(monthly.effects).toEqual(whole.effects);
    expect(monthly.subgroupEffects).toEqual(whole.subgroupEffects);
    expect(monthly.armMeans).toEqual(whole.armMeans);
  });
});
