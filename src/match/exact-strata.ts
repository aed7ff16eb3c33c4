/**
 * Exact-matching cells, and exact matching itself (MatchIt's `method = "exact"`).
 *
 * A cell is one combination of values of the exact-matching covariates.
 * Cells are numbered 0.. in sorted order of their values (numbers by value,
 * strings in JavaScript's default order), so the numbering never depends on
 * row order. Nearest-neighbour matching uses the cells to match within them
 * (`--exact`); exact matching keeps the cells holding both arms as strata.
 *
 * Exact-matching weights (MatchIt's `weights.subclass`, estimand ATT):
 * treated units in a stratum 1; controls in stratum s n_treated_s /
 * n_controls_s, then scaled so the control weights sum to the number of
 * matched controls; units in cells without both arms 0. Subclasses number
 * the strata 1.. in cell order.
 */
import type { CovariateColumn } from './design-matrix.js';

export interface ExactStrataMatch {
  /** Per unit: ATT weight, 0 = unmatched. */
  weights: Float64Array;
  /** Per unit: stratum id 1.., 0 = unmatched. */
  subclass: Int32Array;
}

export function assignExactCells(columns: readonly CovariateColumn[], unitCount: number): Int32Array {
  const compareUnits = (a: number, b: number): number => {
    for (const column of columns) {
      const order = compareValues(column.values[a]!, column.values[b]!);
      if (order !== 0) return order;
    }
    return 0;
  };
  const sorted = Int32Array.from({ length: unitCount }, (_, unit) => unit).sort(compareUnits);
  const cells = new Int32Array(unitCount);
  let cell = 0;
  sorted.forEach((unit, position) => {
    if (position > 0 && compareUnits(sorted[position - 1]!, unit) !== 0) cell++;
    cells[unit] = cell;
  });
  return cells;
}

function compareValues(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function matchExactStrata(treated: Uint8Array, cells: Int32Array): ExactStrataMatch {
  const unitCount = treated.length;
  const cellCount = cells.reduce((largest, cell) => Math.max(largest, cell + 1), 0);
  const treatedInCell = new Float64Array(cellCount);
  const controlsInCell = new Float64Array(cellCount);
  for (let unit = 0; unit < unitCount; unit++) {
    if (treated[unit]) treatedInCell[cells[unit]!]!++;
    else controlsInCell[cells[unit]!]!++;
  }
  const stratumOfCell = new Int32Array(cellCount);
  let strata = 0;
  for (let cell = 0; cell < cellCount; cell++) {
    if (treatedInCell[cell]! > 0 && controlsInCell[cell]! > 0) stratumOfCell[cell] = ++strata;
  }

  const weights = new Float64Array(unitCount);
  const subclass = new Int32Array(unitCount);
  let matchedControls = 0;
  let controlWeightSum = 0;
  for (let unit = 0; unit < unitCount; unit++) {
    const cell = cells[unit]!;
    if (stratumOfCell[cell] === 0) continue;
    subclass[unit] = stratumOfCell[cell]!;
    if (treated[unit]) {
      weights[unit] = 1;
    } else {
      weights[unit] = treatedInCell[cell]! / controlsInCell[cell]!;
      matchedControls++;
      controlWeightSum += weights[unit]!;
    }
  }
  for (let unit = 0; unit < unitCount; unit++) {
    if (!treated[unit] && subclass[unit] !== 0) weights[unit] = (weights[unit]! * matchedControls) / controlWeightSum;
  }
  return { weights, subclass };
}
