/**
 * Cost-effectiveness and return on investment from per-matched-set sums,
 * with a seeded bootstrap over matched sets.
 *
 * Definitions (all per treated person, matched-weighted differences IPS - TVR):
 * - intervention, benefit, healthcare: differences in mean cost over the follow-up;
 * - effect: difference in the share in work at the effect month (ATT) among
 *   the persons observed then, with the month's weights (`sumWEffectBase`);
 * - payer incremental cost = benefit: the sickness and disability benefits
 *   the payer (UWV) pays out, as in the register study's payer view;
 * - societal incremental cost = intervention + benefit + healthcare;
 * - ICER = incremental cost / effect: euros per extra person in work;
 * - ROI = (savings on benefits [+ healthcare]) / extra intervention cost - 1:
 *   the net return on each extra euro spent on the intervention.
 * The bootstrap resamples whole matched sets with replacement (pairs or
 * strata; persons when matching used replacement), the unit MatchIt's
 * authors recommend; CIs are percentile intervals.
 */
import { seededUniform } from '../seeded-random.js';

export interface MatchedSetSums {
  treated: boolean;
  matchedSet: string;
  sumW: number;
  sumWIntervention: number;
  sumWBenefit: number;
  sumWHealthcare: number;
  sumWEffect: number;
  /** The weights of the persons observed at the effect month (the effect's denominator). */
  sumWEffectBase: number;
}

export const COST_MEASURES = [
  'intervention_cost_difference_eur',
  'benefit_cost_difference_eur',
  'healthcare_cost_difference_eur',
  'effect_difference',
  'payer_incremental_cost_eur',
  'societal_incremental_cost_eur',
  'payer_icer_eur_per_person_in_work',
  'societal_icer_eur_per_person_in_work',
  'payer_roi',
  'societal_roi',
] as const;

export type CostMeasure = (typeof COST_MEASURES)[number];

const ARM_FIELDS = ['sumW', 'sumWIntervention', 'sumWBenefit', 'sumWHealthcare', 'sumWEffect', 'sumWEffectBase'] as const;
const FIELDS = ARM_FIELDS.length;
const SET_WIDTH = 2 * FIELDS;

/** Sums per matched set: [treated fields..., control fields...]. */
export interface MatchedSets {
  ids: string[];
  /** Row-major, SET_WIDTH numbers per set: treated then control, in ARM_FIELDS order. */
  sums: Float64Array;
}

export function groupMatchedSets(rows: readonly MatchedSetSums[]): MatchedSets {
  const index = new Map<string, number>();
  for (const row of rows) if (!index.has(row.matchedSet)) index.set(row.matchedSet, index.size);
  const sums = new Float64Array(index.size * SET_WIDTH);
  for (const row of rows) {
    const offset = index.get(row.matchedSet)! * SET_WIDTH + (row.treated ? 0 : FIELDS);
    ARM_FIELDS.forEach((field, position) => {
      sums[offset + position]! += row[field];
    });
  }
  return { ids: [...index.keys()], sums };
}

/** Every cost measure from totals over the chosen sets (each set counted `counts[s]` times). */
export function costMeasures(sets: MatchedSets, counts?: Uint32Array): Record<CostMeasure, number> {
  const total = new Float64Array(SET_WIDTH);
  for (let set = 0; set < sets.ids.length; set++) {
    const times = counts ? counts[set]! : 1;
    if (times === 0) continue;
    for (let field = 0; field < SET_WIDTH; field++) total[field]! += times * sets.sums[set * SET_WIDTH + field]!;
  }
  const field = (name: (typeof ARM_FIELDS)[number]) => ARM_FIELDS.indexOf(name);
  const mean = (arm: 0 | typeof FIELDS, name: (typeof ARM_FIELDS)[number], base: (typeof ARM_FIELDS)[number] = 'sumW') =>
    total[arm + field(name)]! / total[arm + field(base)]!;
  const difference = (name: (typeof ARM_FIELDS)[number], base?: (typeof ARM_FIELDS)[number]) =>
    mean(0, name, base) - mean(FIELDS, name, base);
  const intervention = difference('sumWIntervention');
  const benefit = difference('sumWBenefit');
  const healthcare = difference('sumWHealthcare');
  const effect = difference('sumWEffect', 'sumWEffectBase');
  const payer = benefit;
  const societal = intervention + benefit + healthcare;
  return {
    intervention_cost_difference_eur: intervention,
    benefit_cost_difference_eur: benefit,
    healthcare_cost_difference_eur: healthcare,
    effect_difference: effect,
    payer_incremental_cost_eur: payer,
    societal_incremental_cost_eur: societal,
    payer_icer_eur_per_person_in_work: payer / effect,
    societal_icer_eur_per_person_in_work: societal / effect,
    payer_roi: -benefit / intervention - 1,
    societal_roi: -(benefit + healthcare) / intervention - 1,
  };
}

export interface CostEstimate {
  measure: CostMeasure;
  estimate: number;
  ci_low: number;
  ci_high: number;
  replicates: number;
  /** Why a measure has no estimate (an ICER whose effect may be zero); null otherwise. */
  note: string | null;
}

const ICERS: readonly CostMeasure[] = ['payer_icer_eur_per_person_in_work', 'societal_icer_eur_per_person_in_work'];

/**
 * An ICER divides by the effect: when the effect's interval includes zero
 * the ratio's bootstrap distribution has no bounded interval, so the ICER is
 * reported as not estimable, with the reason, instead of a misleading one.
 */
function withEstimableIcers(estimates: CostEstimate[]): CostEstimate[] {
  const effect = estimates.find((estimate) => estimate.measure === 'effect_difference')!;
  const excludesZero = effect.ci_low > 0 || effect.ci_high < 0;
  if (excludesZero) return estimates;
  const note = 'not estimable: the 95% CI of effect_difference includes 0, so the ratio has no bounded interval';
  return estimates.map((estimate) =>
    ICERS.includes(estimate.measure) ? { ...estimate, estimate: Number.NaN, ci_low: Number.NaN, ci_high: Number.NaN, note } : estimate,
  );
}

function percentile(sorted: Float64Array, probability: number): number {
  // Type 7 (R's default quantile): linear interpolation between order statistics.
  const position = (sorted.length - 1) * probability;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

export function bootstrapCostMeasures(sets: MatchedSets, replicates: number, seed: number): CostEstimate[] {
  const uniform = seededUniform(seed);
  const setCount = sets.ids.length;
  const draws = COST_MEASURES.map(() => new Float64Array(replicates));
  const counts = new Uint32Array(setCount);
  for (let replicate = 0; replicate < replicates; replicate++) {
    counts.fill(0);
    for (let draw = 0; draw < setCount; draw++) counts[Math.floor(uniform() * setCount)]! += 1;
    const measures = costMeasures(sets, counts);
    COST_MEASURES.forEach((measure, position) => {
      draws[position]![replicate] = measures[measure];
    });
  }
  const point = costMeasures(sets);
  return withEstimableIcers(
    COST_MEASURES.map((measure, position) => {
      const sorted = draws[position]!.filter(Number.isFinite).sort();
      return {
        measure,
        estimate: point[measure],
        ci_low: sorted.length ? percentile(sorted, 0.025) : Number.NaN,
        ci_high: sorted.length ? percentile(sorted, 0.975) : Number.NaN,
        replicates: sorted.length,
        note: null,
      };
    }),
  );
}
