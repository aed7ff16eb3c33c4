/**
 * The event-study DiD as K x K algebra over sums that SQL aggregates.
 *
 * Model: y_it = a_i + sum_{m != ref} g_m 1[month = m] + sum_{m != ref} b_m treated_i 1[month = m] + e_it,
 * WLS with the person's matching weight. The within-person transformation
 * absorbs a_i, so the regressors are J month dummies (g) followed by J
 * treated x month dummies (b): column j is month slopeMonths[j], column J + j
 * is treated x that month, K = 2J.
 *
 * A person is in one arm, so X'WX, X'Wy and the cluster meat all stack from
 * per-arm month x month (or per-month) sums S_control and S_treated:
 *   [month, month] = S_control + S_treated;  every block touching treated x month = S_treated.
 * Standard errors: CR1, clustered by person, V = c (X'WX)^-1 meat (X'WX)^-1
 * with c = G/(G-1) x (N-1)/(N-K) and K the slope coefficients only (person
 * effects are nested in the clusters and not counted): plm's vcovHC(type =
 * "sss"), Stata's xtreg fe vce(cluster). SQL: sql/estimate/04..14.
 */
import { fail } from '../errors.js';
import { chiSquareUpperTail, fUpperTail } from './distributions.js';
import { factorCholesky, inverseQuadraticForm, invertCholesky, sandwich, solveCholesky } from './symmetric-matrix.js';

export interface EventStudyDesign {
  referenceMonth: number;
  /** Observed event months except the reference, ascending: one g and one b each. */
  slopeMonths: readonly number[];
}

/** A per-arm sum over persons for one pair of event months (both orders present). */
export interface ArmMonthPairSum {
  treated: number;
  event_month: number;
  other_event_month: number;
  value: number;
}

/** A per-arm sum over persons for one event month. */
export interface ArmMonthSum {
  treated: number;
  event_month: number;
  value: number;
}

export interface ClusterSample {
  /** G: persons. */
  persons: number;
  /** N: person-months. */
  personMonths: number;
}

/** The factored X'WX and its inverse (the sandwich's bread). */
export interface NormalEquations {
  design: EventStudyDesign;
  size: number;
  factor: Float64Array;
  inverse: Float64Array;
}

export interface PretrendTest {
  /** Pre-index treated x month effects tested (months < 0 but the reference). */
  restrictions: number;
  /** NaN when the pre-index covariance is singular. */
  chiSquare: number;
  chiSquarePValue: number;
  fStatistic: number;
  fDenominatorDf: number;
  fPValue: number;
}

export interface EventStudySummary {
  /** The slope months, with b_m and its CR1 standard error at the same index. */
  eventMonths: readonly number[];
  estimates: number[];
  standardErrors: number[];
  /** Every event month (the reference too), with b_m less the mean of the pre-index b_k (b_ref = 0) and its SE. */
  prePeriodMean: { eventMonths: number[]; estimates: number[]; standardErrors: number[] };
  pretrend: PretrendTest;
}

export function designEventStudy(observedMonths: readonly number[], referenceMonth: number): EventStudyDesign {
  const months = [...new Set(observedMonths)].sort((a, b) => a - b);
  if (!months.includes(referenceMonth)) {
    fail({ code: 'did_not_identified', reason: `no matched person is observed in the reference month ${referenceMonth}` });
  }
  return { referenceMonth, slopeMonths: months.filter((month) => month !== referenceMonth) };
}

export function slopeCoefficientCount(design: EventStudyDesign): number {
  return 2 * design.slopeMonths.length;
}

/**
 * K x K matrix from per-arm month-pair sums (X'WX from the design sums, the
 * meat from the score products). Each cell adds at most one sum per arm, so
 * the result does not depend on the order of `sums`.
 */
export function stackArmMonthPairs(design: EventStudyDesign, sums: readonly ArmMonthPairSum[]): Float64Array {
  const months = design.slopeMonths.length;
  const size = 2 * months;
  const matrix = new Float64Array(size * size);
  const column = columnOfMonth(design);
  for (const sum of sums) {
    const row = column.get(sum.event_month);
    const other = column.get(sum.other_event_month);
    if (row === undefined || other === undefined) continue; // the reference month has no column
    addAt(matrix, row * size + other, sum.value);
    if (sum.treated === 1) {
      addAt(matrix, row * size + months + other, sum.value);
      addAt(matrix, (months + row) * size + other, sum.value);
      addAt(matrix, (months + row) * size + months + other, sum.value);
    }
  }
  return matrix;
}

/** K-vector from per-arm month sums (X'Wy). */
export function stackArmMonths(design: EventStudyDesign, sums: readonly ArmMonthSum[]): Float64Array {
  const months = design.slopeMonths.length;
  const vector = new Float64Array(2 * months);
  const column = columnOfMonth(design);
  for (const sum of sums) {
    const index = column.get(sum.event_month);
    if (index === undefined) continue;
    addAt(vector, index, sum.value);
    if (sum.treated === 1) addAt(vector, months + index, sum.value);
  }
  return vector;
}

/** Factors X'WX; a coefficient the data cannot identify is an error naming it. */
export function factorNormalEquations(design: EventStudyDesign, designSums: readonly ArmMonthPairSum[]): NormalEquations {
  const size = slopeCoefficientCount(design);
  const cholesky = factorCholesky(stackArmMonthPairs(design, designSums), size);
  if (!cholesky.ok) {
    fail({
      code: 'did_not_identified',
      reason:
        `the ${coefficientLabel(design, cholesky.column)} effect is not identified: ` +
        'no within-person variation is left for it among the matched persons ' +
        '(a month observed in one arm only, or only by persons observed once); shorten the follow-up window',
    });
  }
  return { design, size, factor: cholesky.factor, inverse: invertCholesky(cholesky.factor, size) };
}

/** [g; b] = (X'WX)^-1 X'Wy. */
export function fitCoefficients(normal: NormalEquations, outcomeSums: readonly ArmMonthSum[]): Float64Array {
  return solveCholesky(normal.factor, normal.size, stackArmMonths(normal.design, outcomeSums));
}

/** CR1 small-sample factor G/(G-1) x (N-1)/(N-K), K = slope coefficients. */
export function cr1Factor(sample: ClusterSample, slopeCoefficients: number): number {
  const { persons, personMonths } = sample;
  return (persons / (persons - 1)) * ((personMonths - 1) / (personMonths - slopeCoefficients));
}

/** CR1 covariance of [g; b], clustered by person. */
export function clusterRobustCovariance(
  normal: NormalEquations,
  scoreProducts: readonly ArmMonthPairSum[],
  sample: ClusterSample,
): Float64Array {
  const meat = stackArmMonthPairs(normal.design, scoreProducts);
  const covariance = sandwich(normal.inverse, meat, normal.size);
  const factor = cr1Factor(sample, normal.size);
  return covariance.map((value) => value * factor);
}

/** The treated x month effects with their standard errors, and the pre-trend Wald test. */
export function summariseEventStudy(
  design: EventStudyDesign,
  coefficients: Float64Array,
  covariance: Float64Array,
  sample: ClusterSample,
): EventStudySummary {
  const months = design.slopeMonths.length;
  const size = 2 * months;
  const treatedColumns = design.slopeMonths.map((_, index) => months + index);
  const preIndexColumns = treatedColumns.filter((_, index) => design.slopeMonths[index]! < 0);
  const restrictions = preIndexColumns.length;
  const chiSquare = restrictions > 0 ? (inverseQuadraticForm(covariance, size, coefficients, preIndexColumns) ?? Number.NaN) : Number.NaN;
  const fStatistic = chiSquare / restrictions;
  const fDenominatorDf = sample.persons - 1;
  return {
    eventMonths: design.slopeMonths,
    estimates: treatedColumns.map((column) => coefficients[column]!),
    standardErrors: treatedColumns.map((column) => Math.sqrt(covariance[column * size + column]!)),
    prePeriodMean: contrastWithPrePeriodMean(design, coefficients, covariance),
    pretrend: {
      restrictions,
      chiSquare,
      chiSquarePValue: Number.isNaN(chiSquare) ? Number.NaN : chiSquareUpperTail(chiSquare, restrictions),
      fStatistic,
      fDenominatorDf,
      fPValue: Number.isNaN(fStatistic) ? Number.NaN : fUpperTail(fStatistic, restrictions, fDenominatorDf),
    },
  };
}

/**
 * The sensitivity analysis against the whole pre-period: per event month m,
 * b_m - (1/P) sum of b_k over the P pre-index months (the reference month's
 * b is 0), a linear contrast L'b of the coefficients with variance L'VL.
 */
function contrastWithPrePeriodMean(design: EventStudyDesign, coefficients: Float64Array, covariance: Float64Array) {
  const months = design.slopeMonths.length;
  const size = 2 * months;
  const preColumns = design.slopeMonths.flatMap((month, index) => (month < 0 ? [months + index] : []));
  const prePeriodMonths = preColumns.length + (design.referenceMonth < 0 ? 1 : 0);
  const eventMonths = [...design.slopeMonths, design.referenceMonth].sort((a, b) => a - b);
  const contrasts = eventMonths.map((month) => {
    const weights = new Float64Array(size);
    for (const column of preColumns) weights[column] = -1 / prePeriodMonths;
    const own = design.slopeMonths.indexOf(month);
    if (own >= 0) addAt(weights, months + own, 1);
    let estimate = 0;
    let variance = 0;
    for (let i = 0; i < size; i++) {
      if (weights[i] === 0) continue;
      estimate += weights[i]! * coefficients[i]!;
      for (let j = 0; j < size; j++) if (weights[j] !== 0) variance += weights[i]! * weights[j]! * covariance[i * size + j]!;
    }
    return { estimate, se: Math.sqrt(variance) };
  });
  return { eventMonths, estimates: contrasts.map((c) => c.estimate), standardErrors: contrasts.map((c) => c.se) };
}

function addAt(array: Float64Array, index: number, value: number): void {
  array[index] = array[index]! + value;
}

function columnOfMonth(design: EventStudyDesign): Map<number, number> {
  return new Map(design.slopeMonths.map((month, index) => [month, index]));
}

function coefficientLabel(design: EventStudyDesign, column: number): string {
  const months = design.slopeMonths.length;
  return column < months ? `event month ${design.slopeMonths[column]}` : `treated x event month ${design.slopeMonths[column - months]}`;
}
