import { describe, expect, test, vi } from 'vitest';
import type { StudyConfig } from '../../src/config/study-config.js';
import { consumerPriceIndex } from '../../src/costs/consumer-price-index.js';
import { bootstrapArmMeans, costsStage, replicateDrawnView } from '../../src/costs/index.js';
import type { Database } from '../../src/db/database.js';
import { PipelineFailure } from '../../src/errors.js';
import { weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';
import { matchSmallCohort, SMALL_COHORT } from '../support/small-cohort.js';
import { demoStudy } from '../support/warehouse.js';

/**
 * The small cohort (strata A: t1 t2 vs c1-c4, B: t3 vs c5; t4 and c6-c8 unmatched), index month 2015-12,
 * so follow-up months 1-12 are calendar 2016 (follow-up year 1, undiscounted, price year 2016).
 * Intervention: one trajectory at the index date each (IPS at the default 8000, TVR 5000 as delivered),
 * and t1 a second one of 1000 in 2017-01 (follow-up month 13: year 2, one year of discounting).
 * Benefits in 2016: treated 500 a month; controls 1000 (A) and 2000 (B).
 * Employed at month 36: t1, c1, t3.
 */
const BENEFIT: Record<string, number> = { t1: 500, t2: 500, t3: 500, c1: 1000, c2: 1000, c3: 1000, c4: 1000, c5: 2000 };
const EMPLOYED = new Set(['t1', 'c1', 't3']);

const CPI = consumerPriceIndex();
const SECOND_TRAJECTORY = (1000 * CPI.get(2016)!) / CPI.get(2017)! / 1.04;

function study(overrides: Partial<StudyConfig['costs']> = {}, matching: Partial<StudyConfig['matching']> = {}): StudyConfig {
  const base = demoStudy();
  return {
    ...base,
    matching: { ...base.matching, ...matching },
    costs: { ...base.costs, price_year: 2016, bootstrap: { replicates: 99, seed: 11 }, ...overrides },
  };
}

async function loadCohort(db: Database, healthcare: string[] = []): Promise<void> {
  await matchSmallCohort(db);
  const ids = SMALL_COHORT.map(([id]) => id);
  await db.run(
    'cohort',
    `create table cohort as select unnest($ids) as person_id, date '2015-12-10' as index_date, date '2015-12-01' as index_month`,
    { ids },
  );
  await db.run(
    'trajectories',
    `create table trajectories as
     select person_id, case when person_id like 't%' then 'IPS' else 'TVR' end as programme, date '2015-12-10' as start_date,
         case when person_id like 'c%' then 5000 end::decimal(18, 2) as cost_eur
     from cohort
     union all select 't1', 'IPS', date '2017-01-15', 1000`,
  );
  await db.run(
    'panel',
    `create table panel_person_month as
     select person_id, month as event_month, (date '2015-12-01' + to_months(month))::date as calendar_month, true as observed,
         (person_id in $employed) as employed_any, (person_id in $employed) as employed_48h,
         case when month between 1 and 12 then case person_id ${Object.entries(BENEFIT)
           .map(([id, eur]) => `when '${id}' then ${eur}`)
           .join(' ')} else 0 end else 0 end::decimal(18, 2) as benefit_eur
     from cohort, range(0, 37) as months(month)`,
    { employed: [...EMPLOYED] },
  );
  await keyPanelPersons(db);
  await db.run(
    'healthcare',
    `create table healthcare_costs as
     select split_part(row, ':', 1) as person_id, split_part(row, ':', 2)::integer as year, split_part(row, ':', 3) as category,
         split_part(row, ':', 4)::decimal(18, 2) as cost_eur
     from (select unnest($rows::varchar[]) as row)`,
    { rows: healthcare },
  );
  await weightObservedMonths(db);
}

interface CostRow {
  perspective: string;
  measure: string;
  estimate: number | null;
  ci_low: number | null;
  ci_high: number | null;
  ci_method: string;
  basis: string;
  note: string | null;
}

async function runCosts(config: StudyConfig, healthcare: string[] = []) {
  return withDatabase(async (db) => {
    await loadCohort(db, healthcare);
    await costsStage.run({ db, study: config, runId: 'r', landing: '' });
    const rows = await db.query<CostRow>('costs', 'select * from costs order by perspective, measure');
    const measure = (name: string) => rows.find((row) => row.measure === name)!;
    const plane = await db.query<{ perspective: string; replicate: number; incremental_cost_eur: number; quadrant: string }>(
      'plane',
      'select * from cost_plane order by all',
    );
    const curve = await db.query<{ perspective: string; willingness_to_pay_eur: number; probability_cost_effective: number }>(
      'curve',
      'select * from cost_acceptability order by all',
    );
    return { rows, measure, plane, curve };
  });
}

/** 20,000 persons in 301 strata, each with both arms, with euros that need every decimal. */
const TWENTY_THOUSAND_COST_PERSONS = `create table cost_persons as
select 'p' || i as person_id, (i % 4 = 0)::integer as treated, 's' || (i % 301) as matched_set, 1.0 as weight,
    (hash(i, 1) % 1000000 / 97.0)::decimal(38, 10) as intervention_eur, (hash(i, 2) % 10000000 / 13.0)::decimal(38, 10) as benefit_eur,
    (hash(i, 3) % 100000 / 7.0)::decimal(38, 10) as healthcare_eur, (hash(i, 4) % 5 > 0)::integer as in_effect,
    (hash(i, 5) % 3 = 0)::integer as effect, 1.0::decimal(38, 10) as effect_weight
from range(20000) as t(i)`;

describe('costs stage', () => {
  test('differences per treated person follow the ATT weights, prices and discounting', async () => {
    const { measure } = await runCosts(study());
    // A: 2 x (8000 + second/2 - 5000); B: 3000; over 3 treated; the first trajectories in 2015 prices.
    expect(measure('intervention_cost_difference_eur').estimate).toBeCloseTo(
      (3000 * CPI.get(2016)!) / CPI.get(2015)! + SECOND_TRAJECTORY / 3,
      5,
    );
    // A: 12 x (500 - 1000) for 2 treated, B: 12 x (500 - 2000).
    expect(measure('benefit_cost_difference_eur').estimate).toBeCloseTo((2 * -6000 + -18000) / 3, 6);
    expect(measure('payer_incremental_cost_eur').estimate).toBeCloseTo(-10000, 6);
    // Employed at 36: A 1/2 vs 1/4, B 1 vs 0.
    expect(measure('effect_difference').estimate).toBeCloseTo(0.5, 9);
    // Month 36 is in follow-up year 3: two years at 1.5%.
    expect(measure('payer_incremental_effect').estimate).toBeCloseTo(0.5 / 1.015 ** 2, 6);
    expect(measure('healthcare_cost_difference_eur').estimate).toBe(0);
    expect(measure('healthcare_cost_difference_eur').basis).toMatch(/ASSUMPTION, no healthcare_costs extract/);
  });

  test('a healthcare_costs extract changes the societal view and not the payer view', async () => {
    const without = await runCosts(study());
    // 2016 claims: t1 1200 (100 a month), c1 3600 (300 a month); A: 600 vs 900, B: 0 vs 0.
    const withClaims = await runCosts(study(), ['t1:2016:MENTAL_HEALTH:1200', 'c1:2016:GP:2400', 'c1:2016:PHARMACY:1200']);
    expect(withClaims.measure('healthcare_cost_difference_eur').estimate).toBeCloseTo((2 * -300) / 3, 6);
    expect(withClaims.measure('healthcare_cost_difference_eur').basis).toMatch(/healthcare_costs extract \(2016-2016\)/);
    expect(withClaims.measure('societal_incremental_cost_eur').estimate).toBeCloseTo(
      without.measure('societal_incremental_cost_eur').estimate! - 200,
      6,
    );
    for (const name of ['payer_incremental_cost_eur', 'payer_roi', 'payer_incremental_effect']) {
      expect(withClaims.measure(name)).toEqual(without.measure(name));
    }
  });

  test('exact matching re-matches each replicate: persons drawn within arm, strata weighted again, a one-arm stratum dropped', async () => {
    const { measure, plane } = await runCosts(study());
    // Benefits are the same for everyone in a stratum and arm (A -6000, B -18000 per treated person), so a
    // replicate's payer cost is the average over its drawn treated (T_A x -6000 + T_B x -18000) / (T_A + T_B),
    // or -6000 when B's one treated person or its one control is not drawn.
    const costs = new Set(plane.filter((point) => point.perspective === 'payer').map((point) => point.incremental_cost_eur));
    expect([...costs].every((cost) => [-6000, -10000, -14000, -18000].includes(cost))).toBe(true);
    expect(costs).toContain(-6000);
    expect(costs.size).toBeGreaterThan(2);
    expect(measure('benefit_cost_difference_eur').ci_method).toMatch(/persons resampled within their arm and exactly matched again/);
  });

  test('every matching design gives the same costs and effects; the bootstrap is seeded', async () => {
    const exact = await runCosts(study());
    const sets = await runCosts(study({}, { method: 'nearest', replace: false }));
    const persons = await runCosts(study({}, { method: 'nearest', replace: true }));
    // ICERs (reported only when the effect's interval excludes 0) and the quadrant shares depend on the replicates.
    const points = (result: typeof exact) =>
      result.rows.filter((row) => !/icer|plane_share/.test(row.measure)).map((row) => [row.measure, row.estimate]);
    expect(points(sets)).toEqual(points(exact));
    // With replacement the weights and weighted euros are rounded to 1e-6 per person before they are summed.
    points(persons).forEach(([measure, estimate], index) => {
      const [expectedMeasure, expected] = points(exact)[index]! as [string, number];
      expect(measure).toBe(expectedMeasure);
      expect(Math.abs((estimate as number) - expected)).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)));
    });
    expect(sets.measure('benefit_cost_difference_eur').ci_method).toMatch(/whole matched sets/);
    expect(persons.measure('benefit_cost_difference_eur').ci_method).toMatch(/within their arm/);
    const { rows, plane, curve } = await runCosts(study());
    expect({ rows, plane, curve }).toEqual({ rows: exact.rows, plane: exact.plane, curve: exact.curve });
    const reseeded = await runCosts(study({ bootstrap: { replicates: 99, seed: 12 } }));
    expect(reseeded.plane).not.toEqual(exact.plane);
  });

  test('the plane has a point per replicate and perspective; the acceptability curve starts at the share of cost-saving replicates', async () => {
    const { plane, curve, measure } = await runCosts(study());
    expect(plane.filter((point) => point.perspective === 'payer')).toHaveLength(99);
    for (const perspective of ['payer', 'societal']) {
      const points = plane.filter((point) => point.perspective === perspective);
      const rows = curve.filter((row) => row.perspective === perspective);
      expect(rows.map((row) => row.willingness_to_pay_eur)).toEqual(Array.from({ length: 21 }, (_, index) => index * 5000));
      // At a willingness to pay of 0 the net monetary benefit is the saving: positive exactly in the southern quadrants.
      const southern = points.filter((point) => point.quadrant.startsWith('south')).length / points.length;
      expect(rows[0]!.probability_cost_effective).toBeCloseTo(southern, 6);
      const shares = ['north_east', 'south_east', 'south_west', 'north_west'].map(
        (quadrant) => measure(`${perspective}_plane_share_${quadrant}`).estimate!,
      );
      expect(shares.reduce((sum, share) => sum + share, 0)).toBeCloseTo(1, 12);
    }
    // The payer saves on benefits in every replicate.
    expect(curve[0]!.probability_cost_effective).toBe(1);
  });

  test('a cost in a year without a price index stops the stage, naming the year', async () => {
    await withDatabase(async (db) => {
      await loadCohort(db);
      await db.run('a month beyond the index', "update panel_person_month set calendar_month = date '2031-01-01' where event_month = 5");
      const error = await costsStage.run({ db, study: study(), runId: 'r', landing: '' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PipelineFailure);
      expect((error as PipelineFailure).error).toMatchObject({ code: 'price_index_missing', years: [2031] });
    });
  });

  test('a year without a price index in which no cost is counted does not stop the stage', async () => {
    await withDatabase(async (db) => {
      await loadCohort(db);
      // a trajectory long before its person's index date: in the calendar's span, never in a cost
      await db.run(
        'an early trajectory',
        "update trajectories set start_date = date '1901-03-01' where rowid = (select min(rowid) from trajectories)",
      );
      await costsStage.run({ db, study: study(), runId: 'r', landing: '' });
      expect(await db.count('cost_persons')).toBeGreaterThan(0);
    });
  });

  test('the replicates are the same bits whatever the thread count and however many a statement draws', async () => {
    const means = (
      threads: number,
      rowsPerStatement?: number,
      groupsPerStatement?: number,
      indexedJoinKeys?: number,
      drawsPerBranch?: number,
    ) =>
      withDatabase(async (db) => {
        await db.run('persons', TWENTY_THOUSAND_COST_PERSONS);
        await db.run('threads', `set threads = ${threads}`);
        const runFile = vi.spyOn(db, 'runFile');
        const run = vi.spyOn(db, 'run');
        await bootstrapArmMeans(db, {
          design: 'rematched_within_arms',
          replicates: 199,
          seed: 5,
          rowsPerStatement,
          groupsPerStatement,
          indexedJoinKeys,
          drawsPerBranch,
        });
        const cellTables = run.mock.calls.filter(([label]) => label === "costs: a cell's units").length;
        const statements = runFile.mock.calls.filter(([file]) => file === 'costs/03_bootstrap_arm_means.sql').length;
        // the cells' units and the view of the drawn persons are gone once the replicates are summed
        const [{ left }] = (await db.query<{ left: number }>(
          'left behind',
          `select ((select count(*) from duckdb_tables() where table_name like 'cost_bootstrap_cell_%')
              + (select count(*) from duckdb_views() where view_name = 'cost_replicate_drawn'))::integer as left`,
        )) as [{ left: number }];
        expect(left).toBe(0);
        const rows = await db.query<Record<string, number | null>>('means', 'select * from cost_replicate_means order by replicate');
        return { statements, cellTables, rows };
      });
    const inOne = await means(1);
    expect(inOne.rows).toHaveLength(200);
    // every set holds both arms, so every replicate has means to compare
    expect(inOne.rows.filter((row) => Object.values(row).some((value) => value === null))).toEqual([]);
    expect(inOne).toMatchObject({ statements: 1, cellTables: 0 });
    expect((await means(4)).rows).toEqual(inOne.rows);
    // 20,000 persons: 3 replicates a statement
    expect(await means(2, 60_000)).toEqual({ statements: 67, cellTables: 0, rows: inOne.rows });
    // 602 groups of set and arm: 7 replicates a statement
    expect(await means(2, undefined, 4_214)).toEqual({ statements: 29, cellTables: 0, rows: inOne.rows });
    // past 10,000 units each arm's persons in a table of their own
    expect(await means(2, undefined, undefined, 10_000)).toEqual({ statements: 1, cellTables: 2, rows: inOne.rows });
    // 20,000 units: 13 replicates a union branch by default (DRAWS_PER_BRANCH); one each, or all 200 in one, the same
    expect(await means(2, undefined, undefined, undefined, 1)).toEqual({ statements: 1, cellTables: 0, rows: inOne.rows });
    expect(await means(2, undefined, undefined, undefined, 4_000_000)).toEqual({ statements: 1, cellTables: 0, rows: inOne.rows });
  });

  test("the draws are compressed before they are drawn, so that hash() takes each vector's cells once", async () => {
    await withDatabase(async (db) => {
      await db.run('persons', TWENTY_THOUSAND_COST_PERSONS);
      await bootstrapArmMeans(db, { design: 'rematched_within_arms', replicates: 9, seed: 5 });
      const segments = await db.query<{ compression: string; segments: number }>(
        'draws storage',
        `select compression, count(*)::integer as segments from pragma_storage_info('cost_bootstrap_draws')
         where column_name = 'cell' and segment_type = 'VARCHAR' group by compression order by compression`,
      );
      // both cells in one row group: a dictionary of two strings (uncompressed, hash() would take every draw's cell)
      expect(segments).toEqual([{ compression: 'DICT_FSST', segments: 1 }]);
    });
  });

  test('whole sets drawn: each replicate weighs its drawn sets as the ATT does, the same bits whatever the statements', async () => {
    const bootstrap = (threads: number, rowsPerStatement?: number) =>
      withDatabase(async (db) => {
        // 40 sets of one treated person and one to three controls; set 7 has no control and drops out
        await db.run(
          'persons',
          `create table cost_persons as
           select 'p' || i as person_id, (i % 4 = 0)::integer as treated, 's' || (i // 4) as matched_set, 1.0 as weight,
               (hash(i, 1) % 1000000 / 97.0)::decimal(38, 10) as intervention_eur, (hash(i, 2) % 100000 / 13.0)::decimal(38, 10) as benefit_eur,
               (hash(i, 3) % 10000 / 7.0)::decimal(38, 10) as healthcare_eur, (hash(i, 4) % 5 > 0)::integer as in_effect,
               (hash(i, 5) % 3 = 0)::integer as effect, 1.0::decimal(38, 10) as effect_weight
           from range(160) as t(i)
           where i % 4 <= 1 + i // 4 % 3 and (i // 4 <> 7 or i % 4 = 0)`,
        );
        await db.run('threads', `set threads = ${threads}`);
        const runFile = vi.spyOn(db, 'runFile');
        await bootstrapArmMeans(db, { design: 'sets', replicates: 9, seed: 3, rowsPerStatement });
        const statements = runFile.mock.calls.filter(([file]) => file === 'costs/03_bootstrap_arm_means.sql').length;
        const means = await db.query<Record<string, number>>('means', 'select * from cost_replicate_means order by replicate');
        const persons = await db.query<{ unit_key: number; treated: number; intervention: number; observed: number; in_work: number }>(
          'persons',
          `select unit_key::integer as unit_key, treated, intervention::double as intervention, effect_mass::integer as observed,
               effect_in_work::integer as in_work
           from cost_bootstrap_persons`,
        );
        const draws: number[][] = [];
        for (let replicate = 0; replicate <= 9; replicate++) {
          const [row] = await db.query<{ units: number[] }>(
            'draws',
            `select list(unit_key::integer) as units from bootstrap_replicate_draws(3, ${replicate}, null)`,
          );
          draws.push(row!.units);
        }
        // the statement drew its 10 replicates as one range (40 units: DRAWS_PER_BRANCH in src/costs/index.ts)
        const ranged = await db.query<{ units: number[] }>(
          'range draws',
          `select list(unit_key::integer order by unit_key) as units from bootstrap_replicate_range_draws(3, 0, 9, null)
           group by replicate order by replicate`,
        );
        return { statements, means, persons, draws, ranged: ranged.map((row) => row.units) };
      });
    const { statements, means, persons, draws, ranged } = await bootstrap(1);
    expect(statements).toBe(1);
    // a range of replicates draws each replicate's own units
    expect(ranged).toEqual(draws.map((units) => [...units].sort((a, b) => a - b)));
    // a replicate's means from its drawn sets: treated persons weigh 1, a set's controls share its treated count
    draws.forEach((units, replicate) => {
      const sums = {
        treated: 0,
        treatedEur: 0,
        control: 0,
        controlEur: 0,
        treatedObserved: 0,
        treatedInWork: 0,
        controlObserved: 0,
        controlInWork: 0,
      };
      for (const unit of units) {
        const set = persons.filter((person) => person.unit_key === unit);
        const [treated, controls] = [set.filter((person) => person.treated === 1), set.filter((person) => person.treated === 0)];
        const total = (rows: typeof set, field: 'intervention' | 'observed' | 'in_work') => rows.reduce((sum, row) => sum + row[field], 0);
        if (treated.length && controls.length) {
          sums.treated += treated.length;
          sums.treatedEur += total(treated, 'intervention');
          sums.control += treated.length;
          sums.controlEur += (treated.length * total(controls, 'intervention')) / controls.length;
        }
        const [observed1, observed0] = [total(treated, 'observed'), total(controls, 'observed')];
        if (observed1 && observed0) {
          sums.treatedObserved += observed1;
          sums.treatedInWork += total(treated, 'in_work');
          sums.controlObserved += observed1;
          sums.controlInWork += (observed1 * total(controls, 'in_work')) / observed0;
        }
      }
      const row = means[replicate]!;
      expect(row.replicate).toBe(replicate);
      expect(row.treated_intervention_eur).toBeCloseTo(sums.treatedEur / sums.treated, 6);
      expect(row.control_intervention_eur).toBeCloseTo(sums.controlEur / sums.control, 5);
      expect(row.treated_effect).toBeCloseTo(sums.treatedInWork / sums.treatedObserved, 9);
      expect(row.control_effect).toBeCloseTo(sums.controlInWork / sums.controlObserved, 6);
    });
    // the replicates draw some sets more than once
    expect(draws.slice(1).some((units) => new Set(units).size < units.length)).toBe(true);
    // 40 sets a replicate: 200 rows a statement hold 5 replicates
    expect(await bootstrap(3, 200)).toEqual({ statements: 2, means, persons: expect.anything(), draws, ranged });
  });

  test('a drawn person counts once as a small integer without matching weights, and by its weights with them', async () => {
    const masses = (design: Parameters<typeof bootstrapArmMeans>[1]['design']) =>
      withDatabase(async (db) => {
        await db.run(
          'persons',
          `create table cost_persons as
           select 'p' || i as person_id, (i % 2)::integer as treated, 's' || (i % 3) as matched_set, 1.25 + i / 8 as weight,
               100.0::decimal(38, 10) as intervention_eur, 10.0::decimal(38, 10) as benefit_eur, 1.0::decimal(38, 10) as healthcare_eur,
               (i % 3 > 0)::integer as in_effect, (i % 2)::integer as effect, (0.5 + i / 4)::decimal(38, 10) as effect_weight
           from range(12) as t(i)`,
        );
        await bootstrapArmMeans(db, { design, replicates: 3, seed: 1 });
        return db.query<{ types: string; sets: number; masses: number[]; effect_masses: number[]; in_work: number[] }>(
          'masses',
          `select any_value(typeof(mass) || ' ' || typeof(effect_mass) || ' ' || typeof(effect_in_work)) as types,
              count(distinct matched_set)::integer as sets,
              list(mass::double order by unit_key) as masses, list(effect_mass::double order by unit_key) as effect_masses,
              list(effect_in_work::double order by unit_key) as in_work
           from cost_bootstrap_persons`,
        );
      });
    // persons drawn within their arm, in person_id order: p0, p10, p2, ... (control) then p1, p11, p3, ... (treated)
    const order = ['p0', 'p10', 'p2', 'p4', 'p6', 'p8', 'p1', 'p11', 'p3', 'p5', 'p7', 'p9'].map((id) => Number(id.slice(1)));
    const inEffect = order.map((i) => (i % 3 > 0 ? 1 : 0));
    const inWork = order.map((i) => (i % 3 > 0 && i % 2 === 1 ? 1 : 0));
    const [rematched] = await masses('rematched_within_arms');
    expect(rematched).toEqual({
      types: 'TINYINT TINYINT TINYINT',
      sets: 3,
      masses: Array(12).fill(1),
      effect_masses: inEffect,
      in_work: inWork,
    });
    // whole sets drawn: a set's persons share a unit, in no stated order
    const [sets] = await masses('sets');
    const sorted = (values: number[]) => [...values].sort();
    expect({ ...sets!, effect_masses: sorted(sets!.effect_masses), in_work: sorted(sets!.in_work) }).toEqual({
      types: 'TINYINT TINYINT TINYINT',
      sets: 3,
      masses: Array(12).fill(1),
      effect_masses: sorted(inEffect),
      in_work: sorted(inWork),
    });
    const [weighted] = await masses('fixed_weights_within_arms');
    expect(weighted!.types).toBe('DECIMAL(18,6) DECIMAL(18,6) DECIMAL(18,6)');
    // fixed weights take no sum per set: every person in one, so a replicate sums two groups (its arms)
    expect(weighted!.sets).toBe(1);
    expect(weighted!.masses).toEqual(order.map((i) => 1.25 + i / 8));
    expect(weighted!.effect_masses).toEqual(order.map((i) => 0.5 + i / 4));
    expect(weighted!.in_work).toEqual(order.map((i) => (i % 2 ? 0.5 + i / 4 : 0)));
  });

  test("each replicate of a statement, or each range of replicates, is a union branch of its own, with the seed and replicate numbers written in, joined to its units' table (a cell's, when split)", () => {
    expect(replicateDrawnView(7, 3, 4, [{ cell: null, table: 'cost_bootstrap_persons' }])).toBe(
      'create or replace temp view cost_replicate_drawn as\n' +
        'select draws.replicate, persons.*\nfrom (\n' +
        'select * from bootstrap_replicate_draws(7, 3, null)\nunion all\n' +
        'select * from bootstrap_replicate_draws(7, 4, null)\n' +
        ') as draws\njoin cost_bootstrap_persons as persons using (unit_key)',
    );
    const cells = [
      { cell: '0', table: 'cost_bootstrap_cell_0' },
      { cell: "o'1", table: 'cost_bootstrap_cell_1' },
    ];
    expect(replicateDrawnView(7, 3, 4, cells)).toBe(
      'create or replace temp view cost_replicate_drawn as\n' +
        'select draws.replicate, persons.*\nfrom (\n' +
        "select * from bootstrap_replicate_draws(7, 3, '0')\nunion all\n" +
        "select * from bootstrap_replicate_draws(7, 4, '0')\n" +
        ') as draws\njoin cost_bootstrap_cell_0 as persons using (unit_key)\nunion all\n' +
        'select draws.replicate, persons.*\nfrom (\n' +
        "select * from bootstrap_replicate_draws(7, 3, 'o''1')\nunion all\n" +
        "select * from bootstrap_replicate_draws(7, 4, 'o''1')\n" +
        ') as draws\njoin cost_bootstrap_cell_1 as persons using (unit_key)',
    );
    // several replicates a branch: consecutive ranges, a range of one drawn as one replicate
    expect(replicateDrawnView(7, 3, 9, [{ cell: '0', table: 'cost_bootstrap_cell_0' }], 3)).toBe(
      'create or replace temp view cost_replicate_drawn as\n' +
        'select draws.replicate, persons.*\nfrom (\n' +
        "select * from bootstrap_replicate_range_draws(7, 3, 5, '0')\nunion all\n" +
        "select * from bootstrap_replicate_range_draws(7, 6, 8, '0')\nunion all\n" +
        "select * from bootstrap_replicate_draws(7, 9, '0')\n" +
        ') as draws\njoin cost_bootstrap_cell_0 as persons using (unit_key)',
    );
    // nothing but integers is written into SQL, and the cells as quoted literals
    expect(() => replicateDrawnView(0.5, 0, 1, cells)).toThrow('seed and replicates must be integers');
    expect(() => replicateDrawnView(7, 2, 1, cells)).toThrow('first <= last');
    expect(() => replicateDrawnView(7, 1, 2, cells, 0)).toThrow('perBranch >= 1');
    expect(() => replicateDrawnView(7, 1, 2, cells, 1.5)).toThrow('must be integers');
    expect(() => replicateDrawnView(7, 1, 2, [])).toThrow('no table of units to draw from');
  });
});
