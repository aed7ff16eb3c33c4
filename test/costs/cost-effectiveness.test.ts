import { describe, expect, test } from 'vitest';
import { bootstrapCostMeasures, costMeasures, groupMatchedSets, type MatchedSetSums } from '../../src/costs/cost-effectiveness.js';

function set(
  matchedSet: string,
  treated: boolean,
  persons: number,
  intervention: number,
  benefit: number,
  employed: number,
): MatchedSetSums {
  return {
    matchedSet,
    treated,
    sumW: persons,
    sumWIntervention: persons * intervention,
    sumWBenefit: persons * benefit,
    sumWHealthcare: 0,
    sumWEffect: employed,
    sumWEffectBase: persons,
  };
}

// Two pairs of strata: IPS costs 8000 and saves 3000 in benefits; 1 more in 4 persons works.
const ROWS = [
  set('a', true, 2, 8000, 20_000, 1),
  set('a', false, 2, 5000, 23_000, 0),
  set('b', true, 2, 8000, 20_000, 1),
  set('b', false, 2, 5000, 23_000, 1),
];

describe('cost measures', () => {
  const measures = costMeasures(groupMatchedSets(ROWS));

  test('incremental costs are matched differences in mean cost per treated person: the payer counts benefits, society everything', () => {
    expect(measures.intervention_cost_difference_eur).toBe(3000);
    expect(measures.benefit_cost_difference_eur).toBe(-3000);
    expect(measures.payer_incremental_cost_eur).toBe(-3000);
    expect(measures.societal_incremental_cost_eur).toBe(0);
  });

  test('the ICER divides the incremental cost by the extra share in work', () => {
    expect(measures.effect_difference).toBe(0.25);
    expect(measures.payer_icer_eur_per_person_in_work).toBe(-12_000);
    expect(measures.societal_icer_eur_per_person_in_work).toBe(0);
  });

  test('ROI is benefit savings per extra intervention euro, net: 3000 saved on 3000 spent is 0', () => {
    expect(measures.payer_roi).toBe(0);
  });
});

describe('the effect among the persons observed at the effect month', () => {
  test('a control censored before the effect month leaves its denominator', () => {
    // Set a as above; in set b one of the two controls (the one not in work) is no longer observed:
    // treated 2/4 in work, controls (0 + 1) / (2 + 1) = 1/3, so the effect is 1/2 - 1/3.
    const censored = [...ROWS.slice(0, 3), { ...ROWS[3]!, sumWEffectBase: 1 }];
    expect(costMeasures(groupMatchedSets(censored)).effect_difference).toBeCloseTo(1 / 2 - 1 / 3, 12);
  });
});

describe('bootstrapCostMeasures', () => {
  test('the same seed gives the same intervals, and they contain the estimate', () => {
    const sets = groupMatchedSets([...ROWS, set('c', true, 3, 9000, 10_000, 2), set('c', false, 1, 4000, 15_000, 0)]);
    const first = bootstrapCostMeasures(sets, 499, 7);
    expect(bootstrapCostMeasures(sets, 499, 7)).toEqual(first);
    const intervention = first.find((estimate) => estimate.measure === 'intervention_cost_difference_eur')!;
    expect(intervention.ci_low).toBeLessThanOrEqual(intervention.estimate);
    expect(intervention.ci_high).toBeGreaterThanOrEqual(intervention.estimate);
  });

  test('an ICER is estimated only when the interval of the effect excludes zero, and otherwise says why', () => {
    // Ten sets in which IPS always adds one person in work out of two: the effect's interval is [0.5, 0.5].
    const clear = Array.from({ length: 10 }, (_, index) => [
      set(`s${index}`, true, 2, 8000, 20_000, 1),
      set(`s${index}`, false, 2, 5000, 23_000, 0),
    ]).flat();
    const icer = (estimates: ReturnType<typeof bootstrapCostMeasures>) =>
      estimates.find((estimate) => estimate.measure === 'societal_icer_eur_per_person_in_work')!;
    expect(icer(bootstrapCostMeasures(groupMatchedSets(clear), 199, 3))).toMatchObject({ estimate: 0, note: null });
    // Half the sets turn the effect around: the interval includes zero.
    const mixed = clear.map((row, index) => (index % 4 === 3 ? { ...row, sumWEffect: 2 } : row));
    const unclear = icer(bootstrapCostMeasures(groupMatchedSets(mixed), 199, 3));
    expect([unclear.estimate, unclear.ci_low, unclear.ci_high]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(unclear.note).toMatch(/^not estimable: the 95% CI of effect_difference includes 0/);
  });
});
