/**
 * Cost-effectiveness and return on investment from the arm means of the
 * sample and of each bootstrap replicate (sql/costs/03): the measures, their
 * percentile intervals, the cost-effectiveness plane, the net monetary
 * benefit and the acceptability curve. Replicates number in the hundreds or
 * thousands, whatever the number of persons, so this runs in TypeScript.
 *
 * Definitions (per treated person, matched-weighted differences IPS - TVR,
 * euros discounted and in the prices of one year, see sql/costs/01):
 * - intervention, benefit, healthcare: differences in mean cost over the follow-up;
 * - effect: the matched ATT on the effect outcome at the effect month (as in
 *   effects.parquet); incremental effect: the same, discounted to the start;
 * - payer incremental cost = benefit: the sickness and disability benefits
 *   the payer (UWV) pays out, as in the register study's payer view;
 * - societal incremental cost = intervention + benefit + healthcare;
 * - ICER = incremental cost / incremental effect: euros per extra person in work;
 * - ROI = savings (payer: benefits; societal: benefits and healthcare) per
 *   extra euro of intervention, minus 1: the net return on each euro;
 * - NMB(λ) = λ x incremental effect - incremental cost, for a willingness to
 *   pay λ per extra person in work; the acceptability curve is the share of
 *   replicates with NMB(λ) > 0.
 */

/** Per replicate (0 = the sample): arm means from sql/costs/03. */
export interface ArmMeans {
  replicate: number;
  treated_intervention_eur: number;
  control_intervention_eur: number;
  treated_benefit_eur: number;
  control_benefit_eur: number;
  treated_healthcare_eur: number;
  control_healthcare_eur: number;
  treated_effect: number | null;
  control_effect: number | null;
}

export const PERSPECTIVES = ['payer', 'societal'] as const;
export type Perspective = (typeof PERSPECTIVES)[number];

const EUROS = 'euros per treated person';
const RETURN = 'euros returned per extra euro of intervention, net';

/** Every measure in `costs`: which perspective it belongs to ('both' for the parts), its label in table 3 and its unit. */
export const COST_MEASURES = {
  intervention_cost_difference_eur: { perspective: 'both', label: 'Intervention cost (all trajectories started)', unit: EUROS },
  benefit_cost_difference_eur: { perspective: 'both', label: 'Sickness and disability benefit cost', unit: EUROS },
  healthcare_cost_difference_eur: { perspective: 'both', label: 'Healthcare cost', unit: EUROS },
  effect_difference: { perspective: 'both', label: 'Effect (matched ATT, undiscounted)', unit: 'share of persons in work' },
  payer_incremental_cost_eur: { perspective: 'payer', label: 'Incremental cost', unit: EUROS },
  payer_incremental_effect: { perspective: 'payer', label: 'Incremental effect (discounted)', unit: 'persons in work per treated person' },
  payer_icer_eur_per_person_in_work: { perspective: 'payer', label: 'ICER', unit: 'euros per extra person in work' },
  payer_roi: { perspective: 'payer', label: 'Return on investment', unit: RETURN },
  societal_incremental_cost_eur: { perspective: 'societal', label: 'Incremental cost', unit: EUROS },
  societal_incremental_effect: {
    perspective: 'societal',
    label: 'Incremental effect (discounted)',
    unit: 'persons in work per treated person',
  },
  societal_icer_eur_per_person_in_work: { perspective: 'societal', label: 'ICER', unit: 'euros per extra person in work' },
  societal_roi: { perspective: 'societal', label: 'Return on investment', unit: RETURN },
} as const satisfies Record<string, { perspective: Perspective | 'both'; label: string; unit: string }>;

export type CostMeasure = keyof typeof COST_MEASURES;
const MEASURE_NAMES = Object.keys(COST_MEASURES) as CostMeasure[];

/** The quadrants of the cost-effectiveness plane, by the signs of the incremental effect and cost. */
export const QUADRANTS = {
  north_east: 'more effective, more costly',
  south_east: 'more effective, less costly (IPS dominates)',
  south_west: 'less effective, less costly',
  north_west: 'less effective, more costly (IPS dominated)',
} as const;
export type Quadrant = keyof typeof QUADRANTS;

/** The `costs` measure holding the share of replicates in a quadrant. */
export function planeShareMeasure(perspective: Perspective, name: Quadrant): string {
  return `${perspective}_plane_share_${name}`;
}

export function quadrant(effect: number, cost: number): Quadrant {
  return effect >= 0 ? (cost >= 0 ? 'north_east' : 'south_east') : cost >= 0 ? 'north_west' : 'south_west';
}

/**
 * Every measure from one replicate's arm means; `effectDiscount` is the
 * factor (1 + effects rate)^-k for the effect month's follow-up year k.
 */
export function costMeasures(means: ArmMeans, effectDiscount: number): Record<CostMeasure, number> {
  const intervention = means.treated_intervention_eur - means.control_intervention_eur;
  const benefit = means.treated_benefit_eur - means.control_benefit_eur;
  const healthcare = means.treated_healthcare_eur - means.control_healthcare_eur;
  const effect = means.treated_effect === null || means.control_effect === null ? Number.NaN : means.treated_effect - means.control_effect;
  const incrementalEffect = effect * effectDiscount;
  const payer = benefit;
  const societal = intervention + benefit + healthcare;
  return {
    intervention_cost_difference_eur: intervention,
    benefit_cost_difference_eur: benefit,
    healthcare_cost_difference_eur: healthcare,
    effect_difference: effect,
    payer_incremental_cost_eur: payer,
    payer_incremental_effect: incrementalEffect,
    payer_icer_eur_per_person_in_work: payer / incrementalEffect,
    payer_roi: -benefit / intervention - 1,
    societal_incremental_cost_eur: societal,
    societal_incremental_effect: incrementalEffect,
    societal_icer_eur_per_person_in_work: societal / incrementalEffect,
    societal_roi: -(benefit + healthcare) / intervention - 1,
  };
}

export interface CostEstimate {
  measure: CostMeasure;
  estimate: number;
  ci_low: number;
  ci_high: number;
  /** Replicates with a finite value. */
  replicates: number;
  /** Why a measure has no estimate (an ICER whose effect may be zero); null otherwise. */
  note: string | null;
}

function percentile(sorted: Float64Array, probability: number): number {
  // Type 7 (R's default quantile): linear interpolation between order statistics.
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/** The 95% percentile interval of the finite values, and how many there were. */
function percentileInterval(values: Iterable<number>): { ci_low: number; ci_high: number; replicates: number } {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  if (!sorted.length) return { ci_low: Number.NaN, ci_high: Number.NaN, replicates: 0 };
  return { ci_low: percentile(sorted, 0.025), ci_high: percentile(sorted, 0.975), replicates: sorted.length };
}

const ICERS = {
  payer_icer_eur_per_person_in_work: 'payer_incremental_effect',
  societal_icer_eur_per_person_in_work: 'societal_incremental_effect',
} as const satisfies Partial<Record<CostMeasure, CostMeasure>>;

/**
 * An ICER divides by the effect: when the effect's interval includes zero
 * the ratio's bootstrap distribution has no bounded interval, so the ICER is
 * reported as not estimable, with the reason, instead of a misleading one.
 */
function withEstimableIcers(estimates: CostEstimate[]): CostEstimate[] {
  return estimates.map((estimate) => {
    const effectMeasure = ICERS[estimate.measure as keyof typeof ICERS];
    if (!effectMeasure) return estimate;
    const effect = estimates.find((other) => other.measure === effectMeasure)!;
    if (effect.ci_low > 0 || effect.ci_high < 0) return estimate;
    const note = `not estimable: the 95% CI of ${effectMeasure} includes 0, so the ratio has no bounded interval`;
    return { ...estimate, estimate: Number.NaN, ci_low: Number.NaN, ci_high: Number.NaN, note };
  });
}

export interface PlanePoint {
  perspective: Perspective;
  replicate: number;
  incremental_effect: number;
  incremental_cost_eur: number;
  quadrant: Quadrant;
}

export interface NetBenefit {
  perspective: Perspective;
  willingness_to_pay_eur: number;
  nmb_eur: number;
  ci_low: number;
  ci_high: number;
  /** The acceptability curve: the share of replicates with a positive net monetary benefit. */
  probability_cost_effective: number;
}

export interface CostEffectiveness {
  estimates: CostEstimate[];
  plane: PlanePoint[];
  quadrantShares: { perspective: Perspective; quadrant: Quadrant; share: number }[];
  netBenefit: NetBenefit[];
}

/**
 * Everything the cost tables hold, from the sample's arm means (replicate 0)
 * and the replicates' (1..R, in order).
 */
export function analyseCostEffectiveness(
  sample: ArmMeans,
  replicates: readonly ArmMeans[],
  options: { effectDiscount: number; willingnessToPay: readonly number[] },
): CostEffectiveness {
  const point = costMeasures(sample, options.effectDiscount);
  const draws = replicates.map((means) => costMeasures(means, options.effectDiscount));
  const estimates = withEstimableIcers(
    MEASURE_NAMES.map((measure) => ({
      measure,
      estimate: point[measure],
      ...percentileInterval(draws.map((draw) => draw[measure])),
      note: null,
    })),
  );
  const valid = draws
    .map((draw, index) => ({ draw, replicate: replicates[index]!.replicate }))
    .filter(({ draw }) => Number.isFinite(draw.effect_difference));
  const plane = PERSPECTIVES.flatMap((perspective) =>
    valid.map(({ draw, replicate }) => {
      const effect = draw[`${perspective}_incremental_effect`];
      const cost = draw[`${perspective}_incremental_cost_eur`];
      return { perspective, replicate, incremental_effect: effect, incremental_cost_eur: cost, quadrant: quadrant(effect, cost) };
    }),
  );
  const quadrantShares = PERSPECTIVES.flatMap((perspective) => {
    const points = plane.filter((point) => point.perspective === perspective);
    return (Object.keys(QUADRANTS) as Quadrant[]).map((name) => ({
      perspective,
      quadrant: name,
      share: points.length ? points.filter((point) => point.quadrant === name).length / points.length : Number.NaN,
    }));
  });
  const netBenefit = PERSPECTIVES.flatMap((perspective) =>
    options.willingnessToPay.map((lambda) => {
      const nmb = (draw: Record<CostMeasure, number>) =>
        lambda * draw[`${perspective}_incremental_effect`] - draw[`${perspective}_incremental_cost_eur`];
      const replicateNmb = valid.map(({ draw }) => nmb(draw));
      return {
        perspective,
        willingness_to_pay_eur: lambda,
        nmb_eur: nmb(point),
        ...percentileInterval(replicateNmb),
        probability_cost_effective: replicateNmb.length
          ? replicateNmb.filter((value) => value > 0).length / replicateNmb.length
          : Number.NaN,
      };
    }),
  );
  return { estimates, plane, quadrantShares, netBenefit: netBenefit.map(({ replicates: _, ...row }) => row) };
}

/** 0, step, 2 step, ... up to max (inclusive when it falls on a step). */
export function willingnessToPayGrid({ max, step }: { max: number; step: number }): number[] {
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, index) => index * step);
}
