import { describe, expect, test } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { estimateDifferences, monthRanges, weightObservedMonths } from '../../src/estimate/index.js';
import { withDatabase } from '../support/delivery.js';
import { keyPanelPersons } from '../support/panel-keys.js';
import { matchSmallCohort } from '../support/small-cohort.js';
import { demoStudy } from '../support/warehouse.js';

const EMPLOYED: Record<string, number> = { t1: 1, t2: 0, c1: 1, c2: 0, c3: 0, c4: 0, t3: 1, c5: 1, t4: 1, c6: 0, c7: 0, c8: 1 };

/**
 * The small cohort at month 12, exactly matched on its strata; `unobserved` persons are censored by then.
 * The matching design the estimate is told of sets its variance: exact (clustered by stratum, with the
 * conditional variance beside it), nearest without replacement (clustered by set), or with replacement
 * (clustered by pair and person), for which `matchesSql` turns the strata into pairs.
 */
async function estimate(
  design: 'exact' | 'nearest' | 'replace' = 'exact',
  matchesSql = '',
  unobserved: string[] = [],
  inspect: (db: Database) => Promise<void> = async () => {},
  wageEur = '900',
) {
  return withDatabase(async (db) => {
    await matchSmallCohort(db);
    if (matchesSql) await db.run('matches', matchesSql);
    const values = Object.entries(EMPLOYED)
      .map(([id, employed]) =>
        unobserved.includes(id)
          ? `('${id}', 12, false, null, null, null, null, null, null, null, null)`
          : `('${id}', 12, true, ${employed === 1}, ${employed === 1}, ${employed * 60}, ${employed ? wageEur : 0}, true, 1000, true, 1000)`,
      )
      .join(', ');
    await db.run(
      'panel',
      `create table panel_person_month as select * from (values ${values})
       as t(person_id, event_month, observed, employed_any, employed_48h, hours, wage_eur, on_benefit, benefit_eur, on_any_benefit, any_benefit_eur)`,
    );
    await keyPanelPersons(db);
    const panelMonths = await weightObservedMonths(db);
    const matching = demoStudy().matching;
    await estimateDifferences(
      db,
      design === 'exact' ? matching : { ...matching, method: 'nearest', replace: design === 'replace' },
      panelMonths,
      2 ** 20,
    );
    await inspect(db);
    return db.query<{
      subgroup: string;
      level: string;
      estimator: string;
      estimate: number;
      se: number;
      se_conditional: number | null;
      estimand: string;
      n_treated: number;
      n_control: number;
    }>(
      'read',
      `select '' as subgroup, '' as level, estimator, estimate, se, se_conditional, estimand,
           n_treated::integer as n_treated, n_control::integer as n_control
       from effects where outcome = 'employed_any'
       union all
       select subgroup, level, estimator, estimate, se, se_conditional, estimand, n_treated::integer, n_control::integer
       from subgroup_effects where outcome = 'employed_any'
       order by all`,
    );
  });
}

describe('difference in means', () => {
  test('matched ATT equals the stratum-weighted difference', async () => {
    const matched = (await estimate()).find((row) => row.estimator === 'matched_att')!;
    // Stratum A: 2/3 x (1/2 - 1/4); stratum B: 1/3 x (1 - 1).
    expect(matched.estimate).toBeCloseTo(1 / 6, 9);
    expect([matched.n_treated, matched.n_control]).toEqual([3, 5]);
  });

  test('with replacement a pair enters the month with its treated person and an observed control; the SE is clustered by pair and person', async () => {
    // Pairs t1: c1, c2; t2: c2, c3; t3: c5 (c2 serves two). At month 12 c1 is censored: t1's pair keeps c2 (weight 1),
    // t2's has c2 and c3 (1/2 each), so c2 weighs 3/2. Treated mean 2/3, control mean (0 + 0 + 1) / 3: ATT 1/3.
    const rows = await estimate(
      'replace',
      `update matches set subclass = null,
           weight = case when person_id in ('t1', 't2', 't3', 'c1', 'c2', 'c3', 'c5') then 1 else 0 end;
       insert into match_pairs values
           (1, 't1', 1, 1), (1, 'c1', 0, 0.5), (1, 'c2', 0, 0.5), (2, 't2', 1, 1), (2, 'c2', 0, 0.5), (2, 'c3', 0, 0.5),
           (3, 't3', 1, 1), (3, 'c5', 0, 1)`,
      ['c1'],
    );
    const matched = rows.find((row) => row.estimator === 'matched_att')!;
    expect(matched.estimate).toBeCloseTo(1 / 3, 9);
    expect([matched.n_treated, matched.n_control]).toEqual([3, 3]);
    // Scores x 324: pairs 72, -36, -36; persons 36, -72, 36, 54, 18, -72; rows 36, -72, 36, 36, 18, 18, -72.
    // n = 7 rows, P = 3 pairs, N = 6 persons: 6/5 x [3/2 x 24 + 6/5 x 50 - 7/6 x 46] / 324 (R's vcovCL agrees).
    expect(matched.se).toBeCloseTo(Math.sqrt(((6 / 5) * ((3 / 2) * 24 + (6 / 5) * 50 - (7 / 6) * 46)) / 324), 9);
  });

  test('the conditional variance of exact matching uses each stratum control variance for both arms; one control takes the pooled variance', async () => {
    const matched = (await estimate('exact')).find((row) => row.estimator === 'matched_att')!;
    // A: control variance 1/4 (n 4), 2 treated; B: one control, pooled control variance 1/4, 1 treated.
    // [2^2 x 1/4 (1/2 + 1/4) + 1^2 x 1/4 (1 + 1)] / 3^2 = 1.25/9
    expect(matched.se_conditional).toBeCloseTo(Math.sqrt(1.25 / 9), 9);
    expect(matched.estimand).toBe('ATT: the mean effect on the matched treated persons observed in the month');
  });

  test.each(['exact', 'nearest'] as const)(
    'the primary variance (%s) sums squared matched-set scores with the factors G/(G-1) and (n-1)/(n-2)',
    async (design) => {
      const matched = (await estimate(design)).find((row) => row.estimator === 'matched_att')!;
      // Set scores: A (-1/3)/3 - (-5/6)/5 = 1/18; B (1/3)/3 - (5/6)/5 = -1/18; 2/1 x 7/6 x 2/324 (n = 3 + 5).
      expect(matched.se).toBeCloseTo(Math.sqrt((2 * 7 * 2) / (6 * 324)), 9);
      expect(matched.se_conditional === null).toBe(design === 'nearest');
    },
  );

  // sql/estimate/03 reads a set's (or a pair's) arm in a month as one row of outcome_sums, without grouping again.
  test.each(['exact', 'replace'] as const)(
    'outcome_sums (%s) has one row per matched set or pair, arm, month and outcome',
    async (design) => {
      const replaceSql = `update matches set subclass = null, weight = 1;
       insert into match_pairs values (1, 't1', 1, 1), (1, 'c1', 0, 0.5), (1, 'c2', 0, 0.5), (2, 't2', 1, 1), (2, 'c2', 0, 1)`;
      await estimate(design, design === 'replace' ? replaceSql : '', ['c3'], async (db) => {
        const cells = (
          await db.query<{ rows: number; cells: number; weightings: string }>(
            'cells',
            `select count(*)::integer as rows,
                 count(distinct (subgroup, level, weighting, outcome, event_month, subclass, treated))::integer as cells,
                 string_agg(distinct weighting, ',' order by weighting) as weightings
             from outcome_sums where subclass is not null`,
          )
        )[0]!;
        expect(cells.weightings).toBe(design === 'exact' ? 'matched' : 'pairs');
        expect(cells.rows).toBeGreaterThan(0);
        expect(cells.rows).toBe(cells.cells);
      });
    },
  );

  test('a person with more than two rows in one sample stops the profiles the sums read rather than losing one', async () => {
    // a second 'matched' row of t1: with its 'unweighted' one, three rows in the study's sample
    const error = await estimate('exact', "insert into matches select * from matches where person_id = 't1'").catch(
      (caught: unknown) => caught,
    );
    expect(String(error)).toMatch(/estimate\/00: a person has more than two rows in one sample/);
  });

  test.each([
    ['900.00', '4860000.000000000000'],
    // its square in cents does not fit a BIGINT (the sums take HUGEINT products then)
    ['40000000.25', '9600000120000000.375000000000'],
  ])('a wage of %s is squared and summed exactly', async (wage, sumOfSquares) => {
    let summed: { sum_y2: string }[] = [];
    await estimate(
      'exact',
      '',
      [],
      async (db) => {
        summed = await db.query(
          'sums',
          "select sum(sum_y2)::varchar as sum_y2 from outcome_sums where subgroup = '' and weighting = 'unweighted' and outcome = 'wage_eur'",
        );
      },
      wage,
    );
    // six persons employed in the month
    expect(summed).toEqual([{ sum_y2: sumOfSquares }]);
  });

  test('the unadjusted difference uses everyone, unweighted', async () => {
    const naive = (await estimate()).find((row) => row.estimator === 'unadjusted')!;
    expect(naive.estimate).toBeCloseTo(3 / 4 - 3 / 8, 9);
    expect([naive.n_treated, naive.n_control]).toEqual([4, 8]);
  });

  test('a subgroup level is estimated from its own matched sample, beside the study effects and not in them', async () => {
    // Level "A": stratum A only, with its own weights (2 treated, 4 controls of weight 1/2).
    const rows = await estimate(
      'exact',
      `insert into subgroup_matches
       select 'target_group', 'A', person_id, treated, 1, case treated when 1 then 1 else 0.5 end
       from matches where person_id in ('t1', 't2', 'c1', 'c2', 'c3', 'c4')`,
    );
    const study = rows.filter((row) => row.subgroup === '');
    expect(study.map((row) => row.estimator)).toEqual(['matched_att', 'unadjusted']);
    const level = rows.find((row) => row.level === 'A' && row.estimator === 'matched_att')!;
    expect(level.estimate).toBeCloseTo(1 / 2 - 1 / 4, 9);
    expect([level.n_treated, level.n_control]).toEqual([2, 4]);
    // Subgroups have no unadjusted difference: a provider's would repeat every control once per provider.
    expect(rows.filter((row) => row.level === 'A').map((row) => row.estimator)).toEqual(['matched_att']);
  });

  test("each sample's sums, means and differences are taken one sample at a time: arm_means in sample order, each level from its own rows, one sample's sums held", async () => {
    let samples: { subgroup: string; level: string }[] = [];
    let summed: { subgroup: string; level: string }[] = [];
    // levels A and B hold the same persons (stratum A) under other weights: 1/2 and 1/4 for A's controls
    const rows = await estimate(
      'exact',
      `insert into subgroup_matches
       select 'target_group', level, person_id, treated, 1, case treated when 1 then 1 else control_weight end
       from matches, (values ('A', 0.5), ('B', 0.25)) as levels(level, control_weight)
       where person_id in ('t1', 't2', 'c1', 'c2', 'c3', 'c4')`,
      [],
      async (db) => {
        samples = await db.query<{ subgroup: string; level: string }>(
          'arm_means samples',
          'select subgroup, level from (select subgroup, level, min(rowid) as first_row from arm_means group by all) order by first_row',
        );
        summed = await db.query<{ subgroup: string; level: string }>(
          'outcome_sums samples',
          'select distinct subgroup, level from outcome_sums order by all',
        );
      },
    );
    expect(samples).toEqual([
      { subgroup: '', level: '' },
      { subgroup: 'target_group', level: 'A' },
      { subgroup: 'target_group', level: 'B' },
    ]);
    // each sample's sums replace the one's before: the memory they take follows the largest sample, not all of them
    expect(summed).toEqual([{ subgroup: 'target_group', level: 'B' }]);
    const levels = rows.filter((row) => row.subgroup === 'target_group');
    expect(levels.map((row) => `${row.level} ${row.estimator}`)).toEqual(['A matched_att', 'B matched_att']);
    // the same persons: a weight the same for every control of the set leaves the control mean as it is
    const [a, b] = levels;
    expect(a!.estimate).toBeCloseTo(1 / 2 - 1 / 4, 9);
    expect(b!.estimate).toBeCloseTo(a!.estimate, 12);
    expect(b!.se).toBeCloseTo(a!.se, 12);
    expect([b!.n_treated, b!.n_control]).toEqual([2, 4]);
  });

  describe('persons no longer observed', () => {
    // Month 12 with some persons censored: each stratum's controls share its observed treated persons' weight again.
    const matchedAt = async (unobserved: string[]) =>
      (await estimate('exact', '', unobserved)).find((row) => row.estimator === 'matched_att')!;

    test('a censored control leaves its stratum for the month, and the other controls take up its weight', async () => {
      // A: treated 1/2, controls c1, c3, c4 = 1/3; B: 1 - 1; weights 2/3 and 1/3.
      const matched = await matchedAt(['c2']);
      expect(matched.estimate).toBeCloseTo((2 / 3) * (1 / 2 - 1 / 3), 9);
      expect([matched.n_treated, matched.n_control]).toEqual([3, 4]);
    });

    test('a stratum without an observed treated person drops out of the month, its controls with it', async () => {
      const matched = await matchedAt(['t3']);
      expect(matched.estimate).toBeCloseTo(1 / 2 - 1 / 4, 9);
      expect([matched.n_treated, matched.n_control]).toEqual([2, 4]);
    });

    test('a treated person without an observed control in its stratum drops out of the month', async () => {
      const matched = await matchedAt(['c5']);
      expect(matched.estimate).toBeCloseTo(1 / 2 - 1 / 4, 9);
      expect([matched.n_treated, matched.n_control]).toEqual([2, 4]);
    });

    test('the unadjusted difference leaves them out too', async () => {
      const naive = (await estimate('exact', '', ['c2'])).find((row) => row.estimator === 'unadjusted')!;
      expect(naive.estimate).toBeCloseTo(3 / 4 - 3 / 7, 9);
      expect([naive.n_treated, naive.n_control]).toEqual([4, 7]);
    });
  });
});

describe('monthRanges', () => {
  const months = { firstMonth: -2, lastMonth: 3 };

  test('one range of all the months when their rows fit, or when there are none (a sample without pairs)', () => {
    expect(
      monthRanges(
        months,
        new Map([
          [0, 5],
          [1, 5],
        ]),
        10,
      ),
    ).toEqual([{ from: -2, to: 3 }]);
    expect(monthRanges(months, new Map(), 10)).toEqual([{ from: -2, to: 3 }]);
  });

  test('consecutive ranges of at most the rows given, together every month once; a month over the limit alone', () => {
    const rows = new Map([
      [-2, 4],
      [-1, 4],
      [0, 4],
      [1, 25],
      [2, 3],
      [3, 3],
    ]);
    expect(monthRanges(months, rows, 10)).toEqual([
      { from: -2, to: -1 },
      { from: 0, to: 0 },
      { from: 1, to: 1 },
      { from: 2, to: 3 },
    ]);
  });
});
