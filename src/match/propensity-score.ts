/**
 * Fits the propensity-score model: logistic regression of treatment on the
 * design matrix, by iteratively reweighted least squares (Newton's method).
 *
 * It follows R's `glm.fit` step for step so coefficients agree with
 * `glm(family = binomial)` (and MatchIt's `distance = "glm"`) to rounding:
 * start at mu = (y + 0.5) / 2, solve each weighted least-squares step by
 * Householder QR, clamp the logit link at |eta| > 30 as R's C code does, stop
 * when |dev - dev_old| / (|dev| + 0.1) < 1e-8, at most 25 iterations.
 * One addition, from the glm2 package: a step that raises the deviance
 * (relative increase >= 1e-8) is halved towards the previous coefficients
 * until it does not; R only halves non-finite steps, so fits where R's
 * deviance falls monotonically (all ordinary ones) are unchanged.
 *
 * Failures are errors, never warnings:
 * - rank deficiency, checked before fitting by QR with limited column
 *   pivoting (LINPACK dqrdc2's rule, tolerance 1e-7 relative to the column's
 *   norm, as `lm`): a column whose residual after the earlier columns is
 *   below that is aliased and named, with the columns it is a combination of;
 * - (quasi-)complete separation: a fitted probability within 10 machine
 *   epsilons of 0 or 1 (glm.fit's warning), or a final Newton step that
 *   still moves some unit's linear predictor by more than 0.1 logit. At a
 *   true optimum the last step is tiny; with separation the MLE is at
 *   infinity and each step moves the separated units by about 1 logit
 *   while the deviance has stopped changing (R then "converges" quietly
 *   with a coefficient near -20). The column named is the one whose
 *   coefficient moved most in that step, in SD-of-the-column units, so a
 *   covariate in euros is comparable with a dummy;
 * - no convergence in 25 iterations otherwise.
 *
 * Pure functions over typed arrays; results depend on the row order only
 * through floating-point summation order, so callers fix a canonical order.
 */
import { fail } from '../errors.js';
import { type DesignMatrix, INTERCEPT_COLUMN } from './design-matrix.js';

/** glm.control(): epsilon and maxit. */
const CONVERGENCE_EPSILON = 1e-8;
const MAX_ITERATIONS = 25;
/** lm's QR tolerance, used for the rank check before fitting. */
const RANK_TOLERANCE = 1e-7;
/** glm.fit's QR tolerance inside IRLS: min(1e-7, epsilon / 1000). */
const IRLS_QR_TOLERANCE = 1e-11;
/** R family.c: the logit link is clamped beyond |eta| > 30. */
const LOGIT_CLAMP = 30;
const DOUBLE_EPSILON = 2 ** -52;
/** glm.fit: "fitted probabilities numerically 0 or 1 occurred". */
const FITTED_BOUNDARY = 10 * DOUBLE_EPSILON;
/** A last Newton step moving a linear predictor by more than this (logit) means separation. */
const SEPARATION_STEP_LOGIT = 0.1;

export interface PropensityScoreFit {
  columnNames: string[];
  coefficients: Float64Array;
  /** Per unit: the logit of the propensity score (MatchIt's `link = "linear.logit"` distance). */
  linearPredictor: Float64Array;
  /** Per unit: the propensity score, a probability. */
  probabilities: Float64Array;
  deviance: number;
  iterations: number;
}

export function inverseLogit(eta: number): number {
  const odds = eta < -LOGIT_CLAMP ? DOUBLE_EPSILON : eta > LOGIT_CLAMP ? 1 / DOUBLE_EPSILON : Math.exp(eta);
  return odds / (1 + odds);
}

function logitDerivative(eta: number): number {
  if (eta > LOGIT_CLAMP || eta < -LOGIT_CLAMP) return DOUBLE_EPSILON;
  const odds = Math.exp(eta);
  const onePlusOdds = 1 + odds;
  return odds / (onePlusOdds * onePlusOdds);
}

function binomialDeviance(treated: Uint8Array, probabilities: Float64Array): number {
  let deviance = 0;
  for (let row = 0; row < treated.length; row++) {
    const mu = probabilities[row]!;
    deviance += treated[row] ? -2 * Math.log(mu) : -2 * Math.log(1 - mu);
  }
  return deviance;
}

function multiply(design: DesignMatrix, coefficients: Float64Array, eta: Float64Array): void {
  const { rowCount, columnCount, values } = design;
  for (let row = 0; row < rowCount; row++) {
    let sum = 0;
    const offset = row * columnCount;
    for (let column = 0; column < columnCount; column++) sum += values[offset + column]! * coefficients[column]!;
    eta[row] = sum;
  }
}

interface AliasedColumn {
  column: number;
  /** The earlier retained columns it is (numerically) a combination of. */
  combination: number[];
}

interface QrSolution {
  /** NaN for aliased columns. */
  coefficients: Float64Array;
  aliased: AliasedColumn[];
}

/**
 * Least squares by Householder QR with dqrdc2's limited pivoting: columns are
 * taken in order and a column whose residual norm (after the columns kept so
 * far) is at most `tolerance` times its original norm is set aside as aliased.
 * `matrix` is column-major n x p and `response` has n entries; both are overwritten.
 */
function solveLeastSquares(
  matrix: Float64Array,
  response: Float64Array,
  rowCount: number,
  columnCount: number,
  tolerance: number,
): QrSolution {
  const kept: number[] = [];
  const diagonal: number[] = [];
  const originalNorms = new Float64Array(columnCount);
  for (let column = 0; column < columnCount; column++) {
    let sum = 0;
    for (let row = 0; row < rowCount; row++) sum += matrix[column * rowCount + row]! ** 2;
    originalNorms[column] = Math.sqrt(sum);
  }
  const aliased: AliasedColumn[] = [];
  for (let column = 0; column < columnCount; column++) {
    const rank = kept.length;
    const offset = column * rowCount;
    let sumOfSquares = 0;
    for (let row = rank; row < rowCount; row++) sumOfSquares += matrix[offset + row]! ** 2;
    const residualNorm = Math.sqrt(sumOfSquares);
    if (!(residualNorm > tolerance * originalNorms[column]!)) {
      aliased.push({ column, combination: combinationOfEarlierColumns(matrix, rowCount, column, kept, diagonal, originalNorms) });
      continue;
    }
    const head = matrix[offset + rank]!;
    const alpha = head > 0 ? -residualNorm : residualNorm;
    matrix[offset + rank] = head - alpha; // the Householder vector v is stored in rows rank..n-1
    const vv = sumOfSquares - head * head + (head - alpha) ** 2;
    const reflect = (target: Float64Array, targetOffset: number): void => {
      let dot = 0;
      for (let row = rank; row < rowCount; row++) dot += matrix[offset + row]! * target[targetOffset + row]!;
      const factor = (2 * dot) / vv;
      for (let row = rank; row < rowCount; row++) target[targetOffset + row]! -= factor * matrix[offset + row]!;
    };
    for (let later = column + 1; later < columnCount; later++) reflect(matrix, later * rowCount);
    reflect(response, 0);
    kept.push(column);
    diagonal.push(alpha);
  }
  const coefficients = new Float64Array(columnCount).fill(Number.NaN);
  const solved = backSubstitute(matrix, rowCount, kept, diagonal, (q) => response[q]!);
  for (const [q, column] of kept.entries()) coefficients[column] = solved[q]!;
  return { coefficients, aliased };
}

/** Solves R x = rhs for the upper-triangular R of the kept columns (R[q][q'] sits in column kept[q'], row q). */
function backSubstitute(
  matrix: Float64Array,
  rowCount: number,
  kept: readonly number[],
  diagonal: readonly number[],
  rhs: (q: number) => number,
): Float64Array {
  const solution = new Float64Array(kept.length);
  for (let q = kept.length - 1; q >= 0; q--) {
    let sum = rhs(q);
    for (let later = q + 1; later < kept.length; later++) sum -= matrix[kept[later]! * rowCount + q]! * solution[later]!;
    solution[q] = sum / diagonal[q]!;
  }
  return solution;
}

function combinationOfEarlierColumns(
  matrix: Float64Array,
  rowCount: number,
  column: number,
  kept: readonly number[],
  diagonal: readonly number[],
  originalNorms: Float64Array,
): number[] {
  const weights = backSubstitute(matrix, rowCount, kept, diagonal, (q) => matrix[column * rowCount + q]!);
  return kept.filter((keptColumn, q) => Math.abs(weights[q]!) * originalNorms[keptColumn]! > 1e-6 * originalNorms[column]!);
}

/** The design matrix column-major, each row times its weight, into `matrix` (a new array by default). */
function toColumnMajor(
  design: DesignMatrix,
  rowWeights?: Float64Array,
  matrix = new Float64Array(design.rowCount * design.columnCount),
): Float64Array {
  const { rowCount, columnCount, values } = design;
  for (let row = 0; row < rowCount; row++) {
    const weight = rowWeights ? rowWeights[row]! : 1;
    for (let column = 0; column < columnCount; column++) {
      matrix[column * rowCount + row] = values[row * columnCount + column]! * weight;
    }
  }
  return matrix;
}

/** Throws ps_rank_deficient naming the first aliased column of the design matrix, if any. */
export function checkFullRank(design: DesignMatrix): void {
  const { rowCount, columnCount, columnNames } = design;
  const { aliased } = solveLeastSquares(toColumnMajor(design), new Float64Array(rowCount), rowCount, columnCount, RANK_TOLERANCE);
  const [first] = aliased;
  if (first) {
    fail({
      code: 'ps_rank_deficient',
      column: columnNames[first.column]!,
      combination: first.combination.map((column) => columnNames[column]!),
    });
  }
}

export function fitPropensityScore(design: DesignMatrix, treated: Uint8Array): PropensityScoreFit {
  const { rowCount, columnCount, columnNames } = design;
  if (treated.length !== rowCount) throw new Error(`treatment has ${treated.length} values, design matrix ${rowCount} rows`);
  checkFullRank(design);

  const eta = new Float64Array(rowCount);
  const mu = new Float64Array(rowCount);
  for (let row = 0; row < rowCount; row++) {
    const start = (treated[row]! + 0.5) / 2;
    eta[row] = Math.log(start / (1 - start));
    mu[row] = inverseLogit(eta[row]!);
  }
  const refit = (coefficients: Float64Array): number => {
    multiply(design, coefficients, eta);
    for (let row = 0; row < rowCount; row++) mu[row] = inverseLogit(eta[row]!);
    return binomialDeviance(treated, mu);
  };

  let previousDeviance = binomialDeviance(treated, mu);
  let previousCoefficients: Float64Array | null = null;
  let coefficients: Float64Array = new Float64Array(columnCount);
  let deviance = previousDeviance;
  let converged = false;
  let iterations = 0;
  const rowWeights = new Float64Array(rowCount);
  const workingResponse = new Float64Array(rowCount);
  // one n x p buffer for every step's weighted matrix (the QR overwrites it): 8 M doubles each, at a million units
  const weightedMatrix = new Float64Array(rowCount * columnCount);
  for (iterations = 1; iterations <= MAX_ITERATIONS; iterations++) {
    for (let row = 0; row < rowCount; row++) {
      const derivative = logitDerivative(eta[row]!);
      const variance = mu[row]! * (1 - mu[row]!);
      const weight = Math.sqrt((derivative * derivative) / variance);
      rowWeights[row] = weight;
      workingResponse[row] = (eta[row]! + (treated[row]! - mu[row]!) / derivative) * weight;
    }
    const step = solveLeastSquares(
      toColumnMajor(design, rowWeights, weightedMatrix),
      workingResponse,
      rowCount,
      columnCount,
      IRLS_QR_TOLERANCE,
    );
    const [aliased] = step.aliased;
    // Full rank was checked up front, so a column lost here lost its weight: the fit is running off to 0 or 1.
    if (aliased) fail({ code: 'ps_separation', column: columnNames[aliased.column]!, units: countBoundaryUnits(mu) });
    coefficients = step.coefficients;
    deviance = refit(coefficients);
    for (let halvings = 0; previousCoefficients && !(relativeChange(deviance, previousDeviance) < CONVERGENCE_EPSILON); halvings++) {
      if (halvings === MAX_ITERATIONS) fail({ code: 'ps_not_converged', iterations, deviance });
      const towards: Float64Array = previousCoefficients;
      coefficients = coefficients.map((value, column) => (value + towards[column]!) / 2);
      deviance = refit(coefficients);
    }
    if (Math.abs(deviance - previousDeviance) / (Math.abs(deviance) + 0.1) < CONVERGENCE_EPSILON) {
      converged = true;
      break;
    }
    previousDeviance = deviance;
    previousCoefficients = coefficients;
  }
  iterations = Math.min(iterations, MAX_ITERATIONS);

  if (previousCoefficients) checkSeparation(design, coefficients, previousCoefficients, mu);
  if (!converged) fail({ code: 'ps_not_converged', iterations, deviance });
  return { columnNames, coefficients, linearPredictor: eta.slice(), probabilities: mu.slice(), deviance, iterations };
}

/** (new - old) / (|new| + 0.1): glm2's test for a step that raised the deviance; NaN for a non-finite deviance. */
function relativeChange(deviance: number, previousDeviance: number): number {
  return Number.isFinite(deviance) ? (deviance - previousDeviance) / (Math.abs(deviance) + 0.1) : Number.NaN;
}

function countBoundaryUnits(mu: Float64Array): number {
  let count = 0;
  for (const probability of mu) if (probability < FITTED_BOUNDARY || probability > 1 - FITTED_BOUNDARY) count++;
  return count;
}

function checkSeparation(design: DesignMatrix, coefficients: Float64Array, previousCoefficients: Float64Array, mu: Float64Array): void {
  const { rowCount, columnCount, values, columnNames } = design;
  const step = coefficients.map((value, column) => value - previousCoefficients[column]!);
  let separatedUnits = 0;
  for (let row = 0; row < rowCount; row++) {
    let etaStep = 0;
    for (let column = 0; column < columnCount; column++) etaStep += values[row * columnCount + column]! * step[column]!;
    const probability = mu[row]!;
    if (Math.abs(etaStep) > SEPARATION_STEP_LOGIT || probability < FITTED_BOUNDARY || probability > 1 - FITTED_BOUNDARY) separatedUnits++;
  }
  if (separatedUnits === 0) return;
  let culprit = 0;
  let largestGrowth = -1;
  for (let column = 0; column < columnCount; column++) {
    if (columnNames[column] === INTERCEPT_COLUMN) continue;
    const growth = Math.abs(step[column]!) * columnStandardDeviation(design, column);
    if (growth > largestGrowth) {
      largestGrowth = growth;
      culprit = column;
    }
  }
  fail({ code: 'ps_separation', column: columnNames[culprit]!, units: separatedUnits });
}

function columnStandardDeviation(design: DesignMatrix, column: number): number {
  const { rowCount, columnCount, values } = design;
  let mean = 0;
  for (let row = 0; row < rowCount; row++) mean += values[row * columnCount + column]!;
  mean /= rowCount;
  let sum = 0;
  for (let row = 0; row < rowCount; row++) sum += (values[row * columnCount + column]! - mean) ** 2;
  return Math.sqrt(sum / Math.max(rowCount - 1, 1));
}
