/**
 * Greedy nearest-neighbour matching on the logit of the propensity score,
 * reproducing MatchIt's `method = "nearest"` (`distance = "glm"`,
 * `link = "linear.logit"`, estimand ATT; read from MatchIt 4.5's
 * `matchit2nearest`, `nn_matchC_vec`, `process.caliper`, `weights_matrixC`).
 *
 * Units are passed in canonical order (the caller sorts them; see
 * csv-table.ts and cohort-units.ts) and every tie is broken by that order, so the
 * result never depends on how the input rows were ordered:
 * - all units are sorted by (distance, canonical index), as MatchIt's stable
 *   `sort.list(distance)`; a treated unit's candidates are the nearest
 *   available control below it and above it in that sort, and the one below
 *   wins a tie in |distance difference|. Gaps within 1e-10 logit count as
 *   a tie: the linear predictor carries rounding of about 1e-14, so a
 *   mathematically exact tie (age 27 between controls aged 17 and 37 with
 *   symmetric other terms) must not be settled by that noise;
 * - treated units are visited by distance, largest first by default
 *   (`m.order = "largest"`), or smallest first, or in canonical order
 *   (`data`); ties in canonical order, as R's stable `order()`;
 * - with ratio k > 1, matching is done in k rounds: every treated unit gets
 *   its first control, then every treated unit its second, and so on, so
 *   early treated units cannot take all the close controls;
 * - with a caliper, a candidate farther than the caliper (in logit units;
 *   `caliperInLogitUnits` converts MatchIt's SD units) is not taken; a
 *   distance exactly equal to the caliper is accepted (MatchIt tests `>`);
 * - with replacement a control can serve any number of treated units (but
 *   one treated unit never twice); the visiting order then does not matter;
 * - with exact cells, a treated unit only sees controls of its own cell.
 *
 * Weights (MatchIt's ATT weights): a matched treated unit 1; a control the
 * sum over the treated units it serves of 1 / (controls matched to that
 * treated unit), then all control weights scaled so they sum to the number
 * of distinct matched controls; unmatched units 0. Subclasses number the
 * matched treated units 1.. in canonical order, each control taking its
 * treated unit's subclass; with replacement there are none, as in MatchIt.
 *
 * Pair members (`pairMembers`), as MatchIt's `get_matches()`: one row per
 * unit per pair, the pair numbered as its treated unit's subclass would be;
 * the treated unit weighs 1 and each of its controls 1 / (its controls). With
 * replacement a control is a member of every pair it serves, so these rows
 * carry the pair membership and control reuse that `subclass` cannot.
 *
 * Checked against MatchIt 4.7.2 (test/reference/matching). One convention
 * differs: controls at the same distance (within 1e-10 logit) are a tie the
 * lower control, in canonical order, wins; MatchIt takes the one its outward
 * search meets first, or settles a near-tie by rounding.
 *
 * Nearest available controls are found with union-find "next available"
 * pointers over the sorted controls: O(n log n) for n units.
 */

export type TreatedOrder = 'largest' | 'smallest' | 'data';

/** Distance gaps closer than this (logit) are a tie, won by the control below. */
const GAP_TIE_TOLERANCE_LOGIT = 1e-10;

export interface NearestNeighbourOptions {
  /** Controls per treated unit (k in 1:k). */
  ratio: number;
  replace: boolean;
  order: TreatedOrder;
  /** Maximum |logit PS difference|; none when undefined. */
  caliperLogit?: number;
  /** Per unit: its exact-matching cell; units match only within a cell. */
  exactCells?: Int32Array;
}

export interface NearestNeighbourMatch {
  /** Indices of the treated units, in canonical order. */
  treatedUnits: Int32Array;
  /** treatedUnits.length x ratio, row-major: the controls of each treated unit by round; -1 = none. */
  matchMatrix: Int32Array;
  /** Per unit: ATT weight, 0 = unmatched. */
  weights: Float64Array;
  /** Per unit: pair/set id 1.., 0 = unmatched; null with replacement. */
  subclass: Int32Array | null;
}

/** MatchIt's get_matches() rows, in its order: by pair, the treated unit first, then its controls by round. */
export interface PairMembers {
  /** Pair id 1..: the matched treated units numbered in canonical order. */
  subclass: Int32Array;
  unit: Int32Array;
  /** 1 for the treated unit, 1 / (controls matched to it) for each of its controls. */
  pairWeight: Float64Array;
}

/** MatchIt's standardised caliper: caliperSd times the SD (n - 1) of the logit PS over all units. */
export function caliperInLogitUnits(logitPs: Float64Array, caliperSd: number): number {
  const n = logitPs.length;
  let mean = 0;
  for (const value of logitPs) mean += value;
  mean /= n;
  let sumOfSquares = 0;
  for (const value of logitPs) sumOfSquares += (value - mean) ** 2;
  return caliperSd * Math.sqrt(sumOfSquares / (n - 1));
}

/** The treated units in the order they choose controls. */
function visitingOrder(treatedUnits: Int32Array, logitPs: Float64Array, order: TreatedOrder): Int32Array {
  const visiting = treatedUnits.slice();
  if (order === 'data') return visiting;
  const sign = order === 'largest' ? -1 : 1;
  return visiting.sort((a, b) => sign * (logitPs[a]! - logitPs[b]!) || a - b);
}

/**
 * Available-control finder over controls sorted by (cell, distance, index):
 * union-find pointers to the nearest available position at or left/right of
 * a position. Removing a control is O(1); finding is amortised near O(1).
 */
class AvailableControls {
  private readonly left: Int32Array; // left[p + 1] -> p' + 1, 0 = none
  private readonly right: Int32Array; // right[p] -> p', length = none

  constructor(private readonly length: number) {
    this.left = Int32Array.from({ length: length + 1 }, (_, index) => index);
    this.right = Int32Array.from({ length: length + 1 }, (_, index) => index);
  }

  /** Largest available position <= p, or -1. */
  atOrLeftOf(position: number): number {
    return find(this.left, position + 1) - 1;
  }

  /** Smallest available position >= p, or -1. */
  atOrRightOf(position: number): number {
    const found = find(this.right, position);
    return found === this.length ? -1 : found;
  }

  remove(position: number): void {
    this.left[position + 1] = position;
    this.right[position] = position + 1;
  }
}

function find(parent: Int32Array, start: number): number {
  let node = start;
  while (parent[node] !== node) {
    parent[node] = parent[parent[node]!]!; // path halving
    node = parent[node]!;
  }
  return node;
}

export function matchNearestNeighbour(treated: Uint8Array, logitPs: Float64Array, options: NearestNeighbourOptions): NearestNeighbourMatch {
  const { ratio, replace, caliperLogit, exactCells } = options;
  if (!Number.isInteger(ratio) || ratio < 1) throw new Error(`ratio must be a whole number >= 1, got ${ratio}`);
  const n = treated.length;
  const cellOf = (unit: number): number => (exactCells ? exactCells[unit]! : 0);
  const byKey = (a: number, b: number): number => cellOf(a) - cellOf(b) || logitPs[a]! - logitPs[b]! || a - b;

  const controls = Int32Array.from({ length: n }, (_, unit) => unit)
    .filter((unit) => !treated[unit])
    .sort(byKey);
  const treatedUnits = Int32Array.from({ length: n }, (_, unit) => unit).filter((unit) => treated[unit] === 1);
  const available = new AvailableControls(controls.length);

  /** First sorted position whose key is above the treated unit's key. */
  const insertionPoint = (unit: number): number => {
    let low = 0;
    let high = controls.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (byKey(controls[middle]!, unit) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const rowOf = new Int32Array(n).fill(-1);
  for (const [row, unit] of treatedUnits.entries()) rowOf[unit] = row;
  const matchMatrix = new Int32Array(treatedUnits.length * ratio).fill(-1);
  const alreadyMatchedTo = (row: number, control: number, round: number): boolean => {
    for (let earlier = 0; earlier < round; earlier++) if (matchMatrix[row * ratio + earlier] === control) return true;
    return false;
  };

  const visiting = visitingOrder(treatedUnits, logitPs, options.order);
  const insertion = new Int32Array(n);
  for (const unit of visiting) insertion[unit] = insertionPoint(unit);

  for (let round = 0; round < ratio; round++) {
    for (const unit of visiting) {
      const row = rowOf[unit]!;
      const cell = cellOf(unit);
      const distance = logitPs[unit]!;
      const candidate = (start: number, step: -1 | 1): number => {
        let position = step < 0 ? available.atOrLeftOf(start) : available.atOrRightOf(start);
        while (position >= 0 && alreadyMatchedTo(row, controls[position]!, round)) {
          position = step < 0 ? available.atOrLeftOf(position - 1) : available.atOrRightOf(position + 1);
        }
        if (position < 0 || cellOf(controls[position]!) !== cell) return -1;
        if (caliperLogit !== undefined && Math.abs(distance - logitPs[controls[position]!]!) > caliperLogit) return -1;
        return position;
      };
      const point = insertion[unit]!;
      const below = point > 0 ? candidate(point - 1, -1) : -1;
      const above = point < controls.length ? candidate(point, 1) : -1;
      let chosen: number;
      if (below >= 0 && above >= 0) {
        const gapBelow = Math.abs(logitPs[controls[below]!]! - distance);
        const gapAbove = Math.abs(logitPs[controls[above]!]! - distance);
        chosen = gapBelow <= gapAbove + GAP_TIE_TOLERANCE_LOGIT ? below : above;
      } else {
        chosen = below >= 0 ? below : above;
      }
      if (chosen < 0) continue;
      matchMatrix[row * ratio + round] = controls[chosen]!;
      if (!replace) available.remove(chosen);
    }
  }

  return {
    treatedUnits,
    matchMatrix,
    weights: nearestNeighbourWeights(n, treatedUnits, matchMatrix, ratio),
    subclass: replace ? null : pairSubclasses(n, treatedUnits, matchMatrix, ratio),
  };
}

/** MatchIt's weights_matrixC for ATT, with control weights scaled to sum to the distinct matched controls. */
export function nearestNeighbourWeights(unitCount: number, treatedUnits: Int32Array, matchMatrix: Int32Array, ratio: number): Float64Array {
  const weights = new Float64Array(unitCount);
  const isTreated = new Uint8Array(unitCount);
  treatedUnits.forEach((unit, row) => {
    isTreated[unit] = 1;
    let controlCount = 0;
    for (let round = 0; round < ratio; round++) if (matchMatrix[row * ratio + round]! >= 0) controlCount++;
    if (controlCount === 0) return;
    weights[unit] = 1;
    for (let round = 0; round < ratio; round++) {
      const control = matchMatrix[row * ratio + round]!;
      if (control >= 0) weights[control]! += 1 / controlCount;
    }
  });
  let controlWeightSum = 0;
  let matchedControls = 0;
  for (let unit = 0; unit < unitCount; unit++) {
    if (isTreated[unit] || weights[unit] === 0) continue;
    controlWeightSum += weights[unit]!;
    matchedControls++;
  }
  if (matchedControls === 0) return weights;
  for (let unit = 0; unit < unitCount; unit++) {
    if (!isTreated[unit]) weights[unit] = (weights[unit]! * matchedControls) / controlWeightSum;
  }
  return weights;
}

/** One row per unit per pair (MatchIt's get_matches()); a control matched with replacement is in several pairs. */
export function pairMembers(treatedUnits: Int32Array, matchMatrix: Int32Array, ratio: number): PairMembers {
  const subclass: number[] = [];
  const units: number[] = [];
  const pairWeight: number[] = [];
  let next = 1;
  treatedUnits.forEach((unit, row) => {
    const controls = matchMatrix.subarray(row * ratio, (row + 1) * ratio).filter((control) => control >= 0);
    if (controls.length === 0) return;
    const add = (member: number, weight: number) => {
      subclass.push(next);
      units.push(member);
      pairWeight.push(weight);
    };
    add(unit, 1);
    for (const control of controls) add(control, 1 / controls.length);
    next++;
  });
  return { subclass: Int32Array.from(subclass), unit: Int32Array.from(units), pairWeight: Float64Array.from(pairWeight) };
}

/** Without replacement every unit is in at most one pair: its subclass. */
function pairSubclasses(unitCount: number, treatedUnits: Int32Array, matchMatrix: Int32Array, ratio: number): Int32Array {
  const subclass = new Int32Array(unitCount);
  const members = pairMembers(treatedUnits, matchMatrix, ratio);
  members.unit.forEach((unit, row) => {
    subclass[unit] = members.subclass[row]!;
  });
  return subclass;
}
