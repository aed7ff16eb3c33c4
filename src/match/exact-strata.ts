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
import { valueRanks } from './value-ranks.js';

export interface ExactStrataMatch {
  /** Per unit: ATT weight, 0 = unmatched. */
  weights: Float64Array;
  /** Per unit: stratum id 1.., 0 = unmatched. */
  subclass: Int32Array;
}

export function assignExactCells(columns: readonly CovariateColumn[], unitCount: number): Int32Array {
  const columnRanks = columns.map((column) => (column.kind === 'numeric' ? valueRanks(column.values) : stringRanks(column.values)));
  // each unit's cell as one number, the first column's rank most significant, while the combinations fit a double's
  // integers; the cells are then the ranks of those numbers: the order of a sort by the columns in turn
  const combinations = columnRanks.reduce((product, ranks) => product * (ranks?.count ?? Number.POSITIVE_INFINITY), 1);
  if (combinations > Number.MAX_SAFE_INTEGER) return assignExactCellsBySorting(columns, unitCount);
  const keys = new Float64Array(unitCount);
  for (const ranks of columnRanks) {
    for (let unit = 0; unit < unitCount; unit++) keys[unit] = keys[unit]! * ranks!.count + ranks!.rank[unit]!;
  }
  // the ranks of the keys, numbered densely: a cell for each combination present
  // (the keys are whole numbers: they have ranks)
  const { rank, count } = valueRanks(keys)!;
  const present = new Uint8Array(count);
  for (const keyRank of rank) present[keyRank] = 1;
  const cellOfRank = new Int32Array(count);
  for (let keyRank = 0, cell = 0; keyRank < count; keyRank++) if (present[keyRank]) cellOfRank[keyRank] = cell++;
  return rank.map((keyRank) => cellOfRank[keyRank]!);
}

/**
 * A string column's ranks in JavaScript's default order (compareValues'); null when a value is not a string. One
 * lookup per unit, of the order the levels are first seen, then renumbered in sorted order.
 */
function stringRanks(values: readonly string[]): { rank: Int32Array; count: number } | null {
  const seenAs = new Map<string, number>();
  const rank = new Int32Array(values.length);
  for (let unit = 0; unit < values.length; unit++) {
    const value = values[unit];
    if (typeof value !== 'string') return null;
    let seen = seenAs.get(value);
    if (seen === undefined) {
      seen = seenAs.size;
      seenAs.set(value, seen);
    }
    rank[unit] = seen;
  }
  const rankOfSeen = new Int32Array(seenAs.size);
  [...seenAs.keys()].sort().forEach((level, sorted) => {
    rankOfSeen[seenAs.get(level)!] = sorted;
  });
  for (let unit = 0; unit < rank.length; unit++) rank[unit] = rankOfSeen[rank[unit]!]!;
  return { rank, count: seenAs.size };
}

/** The cells by a sort of the units with a comparator over the columns: for values without ranks (NaN). */
function assignExactCellsBySorting(columns: readonly CovariateColumn[], unitCount: number): Int32Array {
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
