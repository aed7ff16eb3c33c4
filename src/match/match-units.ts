/**
 * The matching step of the engine (engine.ts) over units in canonical order:
 * exact strata, or a logistic propensity score and greedy nearest-neighbour
 * matching on its logit (optionally within exact cells), given the covariate
 * columns themselves. Callers put units in a canonical order first (sorted
 * by id or content); every tie-break follows that order.
 */
import { buildDesignMatrix, type CovariateColumn } from './design-matrix.js';
import { assignExactCells, matchExactStrata } from './exact-strata.js';
import { caliperInLogitUnits, matchNearestNeighbour, type PairMembers, pairMembers, type TreatedOrder } from './nearest-neighbour.js';
import { fitPropensityScore } from './propensity-score.js';

export interface MatchingDesign {
  method: 'exact' | 'nearest';
  /** exact: the strata; nearest: cells to match within (may be empty). */
  exactCovariates: readonly CovariateColumn[];
  /** nearest: the PS model's covariates. */
  psCovariates: readonly CovariateColumn[];
  ratio: number;
  /** Caliper in SDs of the logit PS over all units; none when undefined. */
  caliperSd?: number;
  replace: boolean;
  order: TreatedOrder;
}

export interface UnitMatching {
  /** Per unit: ATT weight, 0 = unmatched. */
  weights: Float64Array;
  /** Per unit: matched set 1.., 0 = none; null with replacement. */
  subclass: Int32Array | null;
  /** Per unit PS (probability); null for exact matching. */
  ps: Float64Array | null;
  /** PS model coefficients by design-matrix column; null for exact matching. */
  coefficients: Map<string, number> | null;
  caliperLogit: number | null;
  /** Nearest neighbour: the treated units and, per treated unit, `ratio` controls (-1 = none). */
  pairs: { treatedUnits: Int32Array; matchMatrix: Int32Array } | null;
  /**
   * Nearest neighbour with replacement: one row per unit per pair, as MatchIt's get_matches() (a control once for
   * every treated unit it serves), for the matched ATT's SE clustered by pair and by unit; null otherwise, where
   * `subclass` is each unit's one set.
   */
  pairMembers: PairMembers | null;
}

export function matchUnits(treated: Uint8Array, design: MatchingDesign): UnitMatching {
  const unitCount = treated.length;
  if (design.method === 'exact') {
    const { weights, subclass } = matchExactStrata(treated, assignExactCells(design.exactCovariates, unitCount));
    return { weights, subclass, ps: null, coefficients: null, caliperLogit: null, pairs: null, pairMembers: null };
  }
  const fit = fitPropensityScore(buildDesignMatrix(design.psCovariates), treated);
  const caliperLogit = design.caliperSd === undefined ? null : caliperInLogitUnits(fit.linearPredictor, design.caliperSd);
  const match = matchNearestNeighbour(treated, fit.linearPredictor, {
    ratio: design.ratio,
    replace: design.replace,
    order: design.order,
    caliperLogit: caliperLogit ?? undefined,
    exactCells: design.exactCovariates.length ? assignExactCells(design.exactCovariates, unitCount) : undefined,
  });
  return {
    weights: match.weights,
    subclass: match.subclass,
    ps: fit.probabilities,
    coefficients: new Map(fit.columnNames.map((name, column) => [name, fit.coefficients[column]!])),
    caliperLogit,
    pairs: { treatedUnits: match.treatedUnits, matchMatrix: match.matchMatrix },
    pairMembers: design.replace ? pairMembers(match.treatedUnits, match.matchMatrix, design.ratio) : null,
  };
}
