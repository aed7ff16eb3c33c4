/**
 * Small dense symmetric positive-definite systems: Cholesky factor, solve,
 * inverse, sandwich and quadratic form.
 *
 * The event-study DiD reduces tens of millions of person-months to K x K
 * normal equations in SQL (K = 120 for months -24..36); only those reach
 * TypeScript. Matrices are row-major Float64Array of n x n; every loop runs
 * in a fixed order, so the same input gives the same bits.
 */

/** Cholesky factor L (lower triangle, row-major) with A = L L'. */
export type CholeskyResult = { ok: true; factor: Float64Array } | { ok: false; column: number };

/**
 * A pivot at or below this share of its column's diagonal means the column is
 * (numerically) a combination of earlier ones; R's lm uses a QR tolerance of 1e-7.
 */
const SINGULAR_PIVOT_SHARE = 1e-9;

export function factorCholesky(matrix: Float64Array, n: number): CholeskyResult {
  const factor = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let pivot = matrix[j * n + j]!;
    for (let k = 0; k < j; k++) pivot -= factor[j * n + k]! ** 2;
    if (!(pivot > SINGULAR_PIVOT_SHARE * matrix[j * n + j]!)) return { ok: false, column: j };
    const root = Math.sqrt(pivot);
    factor[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let value = matrix[i * n + j]!;
      for (let k = 0; k < j; k++) value -= factor[i * n + k]! * factor[j * n + k]!;
      factor[i * n + j] = value / root;
    }
  }
  return { ok: true, factor };
}

/** Solves L L' x = b. */
export function solveCholesky(factor: Float64Array, n: number, rhs: Float64Array): Float64Array {
  const x = Float64Array.from(rhs);
  for (let i = 0; i < n; i++) {
    let value = x[i]!;
    for (let k = 0; k < i; k++) value -= factor[i * n + k]! * x[k]!;
    x[i] = value / factor[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let value = x[i]!;
    for (let k = i + 1; k < n; k++) value -= factor[k * n + i]! * x[k]!;
    x[i] = value / factor[i * n + i]!;
  }
  return x;
}

/** (L L')^-1, column by column. */
export function invertCholesky(factor: Float64Array, n: number): Float64Array {
  const inverse = new Float64Array(n * n);
  const unit = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    unit.fill(0);
    unit[j] = 1;
    const column = solveCholesky(factor, n, unit);
    for (let i = 0; i < n; i++) inverse[i * n + j] = column[i]!;
  }
  return inverse;
}

/** bread x meat x bread, for symmetric bread and meat. */
export function sandwich(bread: Float64Array, meat: Float64Array, n: number): Float64Array {
  return multiply(multiply(bread, meat, n), bread, n);
}

/** x' A^-1 x for the sub-matrix of `matrix` on `indices`; null when that sub-matrix is singular. */
export function inverseQuadraticForm(matrix: Float64Array, n: number, vector: Float64Array, indices: readonly number[]): number | null {
  const size = indices.length;
  const sub = new Float64Array(size * size);
  const subVector = new Float64Array(size);
  indices.forEach((row, i) => {
    subVector[i] = vector[row]!;
    for (const [j, column] of indices.entries()) sub[i * size + j] = matrix[row * n + column]!;
  });
  const cholesky = factorCholesky(sub, size);
  if (!cholesky.ok) return null;
  const solved = solveCholesky(cholesky.factor, size, subVector);
  let form = 0;
  for (let i = 0; i < size; i++) form += subVector[i]! * solved[i]!;
  return form;
}

function multiply(left: Float64Array, right: Float64Array, n: number): Float64Array {
  const product = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const value = left[i * n + k]!;
      if (value === 0) continue;
      for (let j = 0; j < n; j++) product[i * n + j] = product[i * n + j]! + value * right[k * n + j]!;
    }
  }
  return product;
}
