/**
 * Covariate balance before and after matching, per numeric covariate and per
 * level of a string covariate (every level as a 0/1 dummy, reference level
 * included, as MatchIt's `summary()` does).
 *
 * Conventions are MatchIt 4.5's `summary.matchit` (`bal1var`, `wvar`,
 * `qqsum`, `pooled_sd`) for estimand ATT, so the numbers agree with
 * `summary(m.out)`:
 * - "before" uses every unit with weight 1, "after" the matching weights
 *   (units with weight 0 drop out); means are weighted means;
 * - a variable is binary when every value is 0 or 1 (dummies, and numeric
 *   0/1 covariates);
 * - SMD = (treated mean - control mean) / SD of the treated group before
 *   matching, the same denominator before and after (`s.d.denom =
 *   "treated"`). Binary variables are standardised too, with SD
 *   sqrt(p (1 - p)) (no n - 1 correction); other variables use the sample
 *   variance (n - 1). If the treated SD is below sqrt(machine epsilon) (a
 *   constant among the treated) the pooled SD of both arms is used instead.
 *   A mean difference below sqrt(machine epsilon) is reported as the raw
 *   difference, so rounding noise after exact matching is not inflated;
 * - variance ratio = treated / control weighted variance, with the bias
 *   correction 1 / (1 - sum(w^2)) for weights normalised to sum 1; null for
 *   binary variables (their variance follows from the mean);
 * - eCDF max = the largest difference between the weighted empirical CDFs
 *   of the two arms; for binary variables |mean difference|;
 * - with fewer than 2 weighted units in both arms, SMD, variance ratio and
 *   eCDF max are null.
 *
 * Each comparison also counts the persons behind it: the units of each arm
 * with a weight above 0 (before matching: all), for a level only those at
 * that level. The worst-balanced row is the one with the largest |SMD|
 * after matching, the first of equals.
 */
import { type CovariateColumn, categoryLevels, covariateLabel } from './design-matrix.js';
import { valueRanks } from './value-ranks.js';

/**
 * A covariate as balance reads it: a numeric covariate's values, or a string covariate's levels (sorted as
 * design-matrix.ts sorts them) and each unit's level as a position among them.
 */
export type BalanceFeature =
  | { covariate: string; kind: 'numeric'; values: Float64Array }
  | { covariate: string; kind: 'levels'; levels: string[]; codes: Int32Array };

export interface ArmComparison {
  meanTreated: number;
  meanControl: number;
  smd: number | null;
  varianceRatio: number | null;
  ecdfMax: number | null;
  /** Units of each arm with a weight above 0 (at the level, for a level of a string covariate). */
  personsTreated: number;
  personsControl: number;
}

export interface BalanceRow {
  covariate: string;
  level: string | null;
  isBinary: boolean;
  before: ArmComparison;
  after: ArmComparison;
}

/** The balance row with the largest |SMD| after matching, named by `covariateLabel`. */
export interface WorstBalance {
  label: string;
  absSmd: number;
}

export const SMD_DENOMINATOR =
  'SMD denominator: SD of the treated group before matching (MatchIt s.d.denom = "treated"); ' +
  'sqrt(p(1-p)) for 0/1 variables, sample SD (n-1) otherwise';

const SQRT_EPSILON = Math.sqrt(2 ** -52);

export function balanceFeatures(covariates: readonly CovariateColumn[]): BalanceFeature[] {
  return covariates.map((covariate): BalanceFeature => {
    if (covariate.kind === 'numeric') return { covariate: covariate.name, kind: 'numeric', values: covariate.values };
    const { values } = covariate;
    const levels = categoryLevels(values);
    const position = new Map(levels.map((level, code) => [level, code]));
    // a typed loop: Int32Array.from with a callback per unit took 1.8 s of the subgroups stage's CPU at 1,000,000 persons
    const codes = new Int32Array(values.length);
    for (let unit = 0; unit < values.length; unit++) codes[unit] = position.get(values[unit]!)!;
    return { covariate: covariate.name, kind: 'levels', levels, codes };
  });
}

/**
 * The balance table. `spread: false` leaves out a non-binary variable's variance ratio and eCDF max (null), for a
 * caller that reads only the SMDs (the subgroups stage, which keeps the worst |SMD| after matching of each level):
 * without the sort of the units by value and the passes for both, that stage took 12.3 s against 16.3 s at
 * 1,000,000 persons (replayed alone, 14.6 against 18.7 s of CPU). Every other field is the same bits either way.
 */
export function computeBalance(
  features: readonly BalanceFeature[],
  treated: Uint8Array,
  weights: Float64Array,
  { spread = true }: { spread?: boolean } = {},
): BalanceRow[] {
  const unitWeights = new Float64Array(treated.length).fill(1);
  return features.flatMap((feature) => {
    if (feature.kind === 'levels') return levelBalance(feature, treated, unitWeights, weights);
    const { values } = feature;
    const isBinary = isZeroOne(values);
    const treatedSd = treatedStandardDeviation(values, treated, unitWeights, isBinary);
    // eCDFs need the units in value order; binary variables do not use it
    const order: SpreadOrder = isBinary ? 'binary' : spread ? unitsByValue(values) : 'none';
    return {
      covariate: feature.covariate,
      level: null,
      isBinary,
      before: compareArms(values, treated, unitWeights, treatedSd, order),
      after: compareArms(values, treated, weights, treatedSd, order),
    };
  });
}

/**
 * What a variable's variance ratio and eCDF max are found from: its units in ascending value order; 'binary' (no
 * variance ratio, the eCDF max is |mean difference|); or 'none' (neither is asked for).
 */
type SpreadOrder = Int32Array | 'binary' | 'none';

/** The row with the largest |SMD| after matching (the first of equals); null when no row has an SMD after. */
export function worstBalanceAfter(balance: readonly BalanceRow[]): WorstBalance | null {
  let worst: BalanceRow | null = null;
  for (const row of balance) {
    if (row.after.smd !== null && (worst === null || Math.abs(row.after.smd) > Math.abs(worst.after.smd!))) worst = row;
  }
  return worst && { label: covariateLabel(worst.covariate, worst.level), absSmd: Math.abs(worst.after.smd!) };
}

function isZeroOne(values: Float64Array): boolean {
  for (let unit = 0; unit < values.length; unit++) if (values[unit] !== 0 && values[unit] !== 1) return false;
  return true;
}

/**
 * The units in ascending value order, equal values in unit order: the order a sort by (value, unit) gives, found
 * without a comparator call per pair, by a counting sort over the values' ranks (value-ranks.ts), which keeps unit
 * order within a rank. Values holding NaN, which have no ranks, are sorted by the comparator.
 */
export function unitsByValue(values: Float64Array): Int32Array {
  const units = new Int32Array(values.length);
  const ranks = valueRanks(values);
  if (!ranks) {
    for (let unit = 0; unit < units.length; unit++) units[unit] = unit;
    return units.sort((a, b) => values[a]! - values[b]! || a - b);
  }
  const starts = new Int32Array(ranks.count + 1);
  for (let unit = 0; unit < values.length; unit++) starts[ranks.rank[unit]! + 1]!++;
  for (let rank = 0; rank < ranks.count; rank++) starts[rank + 1]! += starts[rank]!;
  for (let unit = 0; unit < values.length; unit++) units[starts[ranks.rank[unit]!]!++] = unit;
  return units;
}

interface ArmMoments {
  sumWeights: number;
  mean: number;
  nonZeroWeights: number;
  /** Units with a weight above 0 (for a level: at the level). */
  persons: number;
}

/**
 * Both arms' weight sums and weighted means in one pass, each arm's terms added in unit order (the same bits as one
 * pass per arm), and the persons each counts. Kept in locals, not in two-element arrays: this runs for every feature
 * of every balance table (the 1 M-person subgroups stage under a CPU profile: 4.0 s with the arrays, 3.0 s without).
 */
function bothArmMoments(values: Float64Array, treated: Uint8Array, weights: Float64Array): [control: ArmMoments, treated: ArmMoments] {
  let controlWeights = 0;
  let treatedWeights = 0;
  let controlWeighted = 0;
  let treatedWeighted = 0;
  let controlNonZero = 0;
  let treatedNonZero = 0;
  let controlPersons = 0;
  let treatedPersons = 0;
  for (let unit = 0; unit < values.length; unit++) {
    const weight = weights[unit]!;
    const value = values[unit]!;
    if (treated[unit] === 1) {
      treatedWeights += weight;
      treatedWeighted += value * weight;
      if (weight !== 0) treatedNonZero++;
      if (weight > 0) treatedPersons++;
    } else {
      controlWeights += weight;
      controlWeighted += value * weight;
      if (weight !== 0) controlNonZero++;
      if (weight > 0) controlPersons++;
    }
  }
  return [
    { sumWeights: controlWeights, mean: controlWeighted / controlWeights, nonZeroWeights: controlNonZero, persons: controlPersons },
    { sumWeights: treatedWeights, mean: treatedWeighted / treatedWeights, nonZeroWeights: treatedNonZero, persons: treatedPersons },
  ];
}

/**
 * A string covariate's rows, one per level, each level a 0/1 dummy, in one pass over the units for all levels (a
 * pass per level and statistic took 9 of the 1 M-person subgroups stage's 25 s). The same bits as the dummies'
 * own passes: a unit off a level adds 0 x its weight, +0 for the finite weights matching gives, and each level's
 * terms are added in unit order. Per arm (slot = level x 2 + arm): units at the level, their weights summed, those
 * weighted above 0, and MatchIt's treated mean for the SMD denominator, 1 / (treated units) per treated unit.
 */
function levelBalance(
  feature: Extract<BalanceFeature, { kind: 'levels' }>,
  treated: Uint8Array,
  unitWeights: Float64Array,
  weights: Float64Array,
): BalanceRow[] {
  const { codes, levels } = feature;
  const slots = levels.length * 2;
  const atLevel = new Float64Array(slots);
  const weightedAtLevel = new Float64Array(slots);
  const personsAtLevel = new Int32Array(slots);
  const treatedShare = new Float64Array(levels.length);
  const before = armTotals(treated, unitWeights);
  const after = armTotals(treated, weights);
  const share = 1 / before.sumWeights[1];
  for (let unit = 0; unit < codes.length; unit++) {
    const arm = treated[unit] === 1 ? 1 : 0;
    const slot = codes[unit]! * 2 + arm;
    const weight = weights[unit]!;
    atLevel[slot]!++;
    weightedAtLevel[slot]! += weight;
    if (weight > 0) personsAtLevel[slot]!++;
    if (arm === 1) treatedShare[codes[unit]!]! += share;
  }
  const armAtLevel = (totals: ArmTotals, weighted: Float64Array, persons: ArrayLike<number>, slot: number): ArmMoments => ({
    sumWeights: totals.sumWeights[slot % 2]!,
    mean: weighted[slot]! / totals.sumWeights[slot % 2]!,
    nonZeroWeights: totals.nonZeroWeights[slot % 2]!,
    persons: persons[slot]!,
  });
  return levels.map((level, code) => {
    const p = treatedShare[code]!;
    const sd = Math.sqrt(p * (1 - p));
    const pooled = () => Math.sqrt(pooledBinaryVariance([atLevel[code * 2]!, atLevel[code * 2 + 1]!], before.sumWeights, codes.length));
    const treatedSd = Number.isFinite(sd) && sd >= SQRT_EPSILON ? sd : pooled();
    const comparison = (totals: ArmTotals, weighted: Float64Array, persons: ArrayLike<number>) =>
      armComparison(
        armAtLevel(totals, weighted, persons, code * 2),
        armAtLevel(totals, weighted, persons, code * 2 + 1),
        treatedSd,
        'binary',
      );
    return {
      covariate: feature.covariate,
      level,
      isBinary: true,
      before: comparison(before, atLevel, atLevel),
      after: comparison(after, weightedAtLevel, personsAtLevel),
    };
  });
}

/** Each arm's weights summed in unit order and those not 0 counted ([control, treated]), as bothArmMoments does. */
interface ArmTotals {
  sumWeights: [number, number];
  nonZeroWeights: [number, number];
}

function armTotals(treated: Uint8Array, weights: Float64Array): ArmTotals {
  const totals: ArmTotals = { sumWeights: [0, 0], nonZeroWeights: [0, 0] };
  for (let unit = 0; unit < treated.length; unit++) {
    const arm = treated[unit] === 1 ? 1 : 0;
    totals.sumWeights[arm] += weights[unit]!;
    if (weights[unit] !== 0) totals.nonZeroWeights[arm]++;
  }
  return totals;
}

/**
 * MatchIt's wvar for each arm ([control, treated]): weights normalised to sum 1; p(1-p) for binary, else
 * sum(w (x - m)^2) / (1 - sum(w^2)). Both arms in the same three passes over the units, each arm's terms added in
 * unit order, so the same bits as a function of one arm (which took twice the passes for a variance ratio).
 */
function weightedVariances(values: Float64Array, treated: Uint8Array, weights: Float64Array, isBinary: boolean): [number, number] {
  let controlWeights = 0;
  let treatedWeights = 0;
  for (let unit = 0; unit < values.length; unit++) {
    if (treated[unit] === 1) treatedWeights += weights[unit]!;
    else controlWeights += weights[unit]!;
  }
  let controlMean = 0;
  let treatedMean = 0;
  for (let unit = 0; unit < values.length; unit++) {
    if (treated[unit] === 1) treatedMean += (weights[unit]! / treatedWeights) * values[unit]!;
    else controlMean += (weights[unit]! / controlWeights) * values[unit]!;
  }
  if (isBinary) return [controlMean * (1 - controlMean), treatedMean * (1 - treatedMean)];
  let controlSquares = 0;
  let treatedSquares = 0;
  let controlWeightsSquared = 0;
  let treatedWeightsSquared = 0;
  for (let unit = 0; unit < values.length; unit++) {
    if (treated[unit] === 1) {
      const weight = weights[unit]! / treatedWeights;
      treatedSquares += weight * (values[unit]! - treatedMean) ** 2;
      treatedWeightsSquared += weight * weight;
    } else {
      const weight = weights[unit]! / controlWeights;
      controlSquares += weight * (values[unit]! - controlMean) ** 2;
      controlWeightsSquared += weight * weight;
    }
  }
  return [controlSquares / (1 - controlWeightsSquared), treatedSquares / (1 - treatedWeightsSquared)];
}

/** The SMD denominator: treated SD before matching, or MatchIt's pooled SD when that is ~0. */
function treatedStandardDeviation(values: Float64Array, treated: Uint8Array, unitWeights: Float64Array, isBinary: boolean): number {
  const sd = Math.sqrt(weightedVariances(values, treated, unitWeights, isBinary)[1]);
  return Number.isFinite(sd) && sd >= SQRT_EPSILON ? sd : pooledStandardDeviation(values, treated, isBinary);
}

/** MatchIt's pooled_sd(contribution = "proportional") with unit weights. */
function pooledStandardDeviation(values: Float64Array, treated: Uint8Array, isBinary: boolean): number {
  const n = values.length;
  const armCounts: [number, number] = [0, 0];
  const armSums: [number, number] = [0, 0];
  for (const arm of [0, 1] as const) {
    for (let unit = 0; unit < n; unit++) {
      if (treated[unit] !== arm) continue;
      armCounts[arm]++;
      armSums[arm] += values[unit]!;
    }
  }
  if (isBinary) return Math.sqrt(pooledBinaryVariance(armSums, armCounts, n));
  let pooled = 0;
  for (const arm of [0, 1] as const) {
    const armMean = armSums[arm] / armCounts[arm];
    for (let unit = 0; unit < n; unit++) if (treated[unit] === arm) pooled += (1 / n) * (values[unit]! - armMean) ** 2;
  }
  return Math.sqrt(pooled / (1 - n * (1 / n) ** 2));
}

/** pooled_sd's variance for a 0/1 variable, from each arm's sum of values and count of units ([control, treated]). */
function pooledBinaryVariance(armSums: readonly number[], armCounts: readonly number[], n: number): number {
  let pooled = 0;
  for (const arm of [0, 1]) pooled += (armSums[arm]! * (1 - armSums[arm]! / armCounts[arm]!)) / n;
  return pooled;
}

function compareArms(
  values: Float64Array,
  treated: Uint8Array,
  weights: Float64Array,
  treatedSd: number,
  order: SpreadOrder,
): ArmComparison {
  const [controlArm, treatedArm] = bothArmMoments(values, treated, weights);
  const spread =
    typeof order === 'string'
      ? order
      : () => {
          const [controlVariance, treatedVariance] = weightedVariances(values, treated, weights, false);
          return {
            varianceRatio: treatedVariance / controlVariance,
            ecdfMax: maximumEcdfDifference(values, order, treated, weights, treatedArm.sumWeights, controlArm.sumWeights),
          };
        };
  return armComparison(controlArm, treatedArm, treatedSd, spread);
}

/**
 * The arms compared from their moments. `spread`: a non-binary variable's variance ratio and eCDF max, not asked
 * for when too few units weigh; 'binary' for a binary one (no variance ratio, and the eCDF max is |mean
 * difference|); 'none' when neither is wanted.
 */
function armComparison(
  controlArm: ArmMoments,
  treatedArm: ArmMoments,
  treatedSd: number,
  spread: (() => { varianceRatio: number; ecdfMax: number }) | 'binary' | 'none',
): ArmComparison {
  const difference = treatedArm.mean - controlArm.mean;
  const tooSmall = treatedArm.nonZeroWeights < 2 && controlArm.nonZeroWeights < 2;
  let smd: number | null = difference;
  if (Math.abs(difference) > SQRT_EPSILON) smd = tooSmall ? null : difference / treatedSd;
  let varianceRatio: number | null = null;
  let ecdfMax: number | null = null;
  if (spread === 'binary') {
    ecdfMax = Math.abs(difference);
  } else if (spread !== 'none' && !tooSmall) {
    ({ varianceRatio, ecdfMax } = spread());
  }
  return {
    meanTreated: treatedArm.mean,
    meanControl: controlArm.mean,
    smd,
    varianceRatio,
    ecdfMax,
    personsTreated: treatedArm.persons,
    personsControl: controlArm.persons,
  };
}

/** max over x of |F_treated(x) - F_control(x)|, each arm's weights normalised to sum 1. */
function maximumEcdfDifference(
  values: Float64Array,
  byValue: Int32Array,
  treated: Uint8Array,
  weights: Float64Array,
  treatedWeightSum: number,
  controlWeightSum: number,
): number {
  let cumulative = 0;
  let largest = 0;
  for (let position = 0; position < byValue.length; position++) {
    const unit = byValue[position]!;
    cumulative += treated[unit] ? weights[unit]! / treatedWeightSum : -weights[unit]! / controlWeightSum;
    const next = byValue[position + 1];
    if (next === undefined || values[next] !== values[unit]) largest = Math.max(largest, Math.abs(cumulative));
  }
  return largest;
}
