import { describe, expect, test } from 'vitest';
import {
  type ArmMeans,
  analyseCostEffectiveness,
  costMeasures,
  quadrant,
  willingnessToPayGrid,
} from '../../src/costs/cost-effectiveness.js';

// IPS costs 8000 against 5000 and saves 3000 in benefits and 500 in healthcare; 1 more in 4 persons works.
const SAMPLE: ArmMeans = {
  replicate: 0,
  treated_intervention_eur: 8000,
  control_intervention_eur: 5000,
  treated_benefit_eur: 20_000,
  control_benefit_eur: 23_000,
  treated_healthcare_eur: 1000,
  control_healthcare_eur: 1500,
  treated_effect: 0.5,
  control_effect: 0.25,
};

/** Replicates around the sample: the effect and the benefit saving shifted by the given amounts. */
function replicates(shifts: readonly [effect: number, benefit: number][]): ArmMeans[] {
  return shifts.map(([effect, benefit], index) => ({
    ...SAMPLE,
    replicate: index + 1,
    treated_effect: SAMPLE.treated_effect! + effect,
    treated_benefit_eur: SAMPLE.treated_benefit_eur + benefit,
  }));
}

describe('cost measures', () => {
  const measures = costMeasures(SAMPLE, 1);

  test('the payer counts benefits; society intervention, benefits and healthcare', () => {
    expect(measures.intervention_cost_difference_eur).toBe(3000);
    expect(measures.benefit_cost_difference_eur).toBe(-3000);
    expect(measures.healthcare_cost_difference_eur).toBe(-500);
    expect(measures.payer_incremental_cost_eur).toBe(-3000);
    expect(measures.societal_incremental_cost_eur).toBe(-500);
  });

  test('the ICER divides the incremental cost by the discounted extra share in work', () => {
    expect(measures.effect_difference).toBe(0.25);
    expect(measures.payer_icer_eur_per_person_in_work).toBe(-12_000);
    const discounted = costMeasures(SAMPLE, 0.5);
    expect(discounted.effect_difference).toBe(0.25);
    expect(discounted.payer_incremental_effect).toBe(0.125);
    expect(discounted.societal_icer_eur_per_person_in_work).toBe(-4000);
  });

  test('ROI is the savings per extra intervention euro, net: 3000 saved on 3000 spent is 0', () => {
    expect(measures.payer_roi).toBe(0);
    expect(measures.societal_roi).toBeCloseTo(3500 / 3000 - 1, 12);
  });

  test('no one in the effect month: the effect and the ratios are not numbers', () => {
    const empty = costMeasures({ ...SAMPLE, control_effect: null }, 1);
    expect(empty.effect_difference).toBeNaN();
    expect(empty.payer_icer_eur_per_person_in_work).toBeNaN();
  });
});

describe('quadrants and willingness to pay', () => {
  test('the plane is split by the signs of effect and cost', () => {
    expect([quadrant(0.1, 10), quadrant(0.1, -10), quadrant(-0.1, -10), quadrant(-0.1, 10)]).toEqual([
      'north_east',
      'south_east',
      'south_west',
      'north_west',
    ]);
  });

  test('the grid runs from 0 to max in steps', () => {
    expect(willingnessToPayGrid({ max: 20_000, step: 5000 })).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(willingnessToPayGrid({ max: 0.3, step: 0.1 })).toHaveLength(4);
  });
});

describe('analyseCostEffectiveness', () => {
  const clear = replicates([
    [0.05, 100],
    [-0.05, -100],
    [0.02, 50],
    [-0.02, 0],
  ]);

  test('intervals are percentiles of the replicates and contain the estimate', () => {
    const { estimates } = analyseCostEffectiveness(SAMPLE, clear, { effectDiscount: 1, willingnessToPay: [0] });
    const effect = estimates.find((estimate) => estimate.measure === 'effect_difference')!;
    expect(effect.estimate).toBe(0.25);
    // Type 7 quantiles of 0.20, 0.23, 0.27, 0.30.
    expect(effect.ci_low).toBeCloseTo(0.2 + 0.075 * 0.03, 12);
    expect(effect.ci_high).toBeCloseTo(0.27 + 0.925 * 0.03, 12);
    expect(effect.replicates).toBe(4);
  });

  test('an ICER is estimated only when the interval of the effect excludes zero, and otherwise says why', () => {
    const icer = (means: ArmMeans[]) =>
      analyseCostEffectiveness(SAMPLE, means, { effectDiscount: 1, willingnessToPay: [0] }).estimates.find(
        (estimate) => estimate.measure === 'societal_icer_eur_per_person_in_work',
      )!;
    expect(icer(clear)).toMatchObject({ estimate: -2000, note: null });
    const unclear = icer(
      replicates([
        [0, 0],
        [-0.3, 0],
        [0.1, 0],
      ]),
    );
    expect([unclear.estimate, unclear.ci_low, unclear.ci_high]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(unclear.note).toMatch(/^not estimable: the 95% CI of societal_incremental_effect includes 0/);
  });

  test('net monetary benefit and the acceptability curve follow the replicates', () => {
    // Payer: cost -3000 + benefit shift; effect 0.25 + shift. At 0 the NMB is the saving; at 40000 work counts too.
    const { netBenefit, plane, quadrantShares } = analyseCostEffectiveness(
      SAMPLE,
      replicates([
        [0, 4000],
        [-0.2, 2000],
        [0, 0],
      ]),
      {
        effectDiscount: 1,
        willingnessToPay: [0, 40_000],
      },
    );
    const payer = netBenefit.filter((row) => row.perspective === 'payer');
    expect(payer.map((row) => row.nmb_eur)).toEqual([3000, 13_000]);
    // NMB at 0 of the replicates: -1000, 1000, 3000; at 40000: 9000, 3000, 13000.
    expect(payer.map((row) => row.probability_cost_effective)).toEqual([2 / 3, 1]);
    expect(plane.filter((point) => point.perspective === 'payer').map((point) => point.quadrant)).toEqual([
      'north_east',
      'south_east',
      'south_east',
    ]);
    expect(quadrantShares.find((share) => share.perspective === 'payer' && share.quadrant === 'south_east')!.share).toBeCloseTo(2 / 3, 12);
  });
});
