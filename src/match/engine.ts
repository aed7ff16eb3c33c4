/**
 * The matching engine: one table of units in, matches and balance out.
 *
 * The one entry for matching: the study's match stage (index.ts), the
 * subgroups stage and `ipslink match` all call `matchTable`, so they give
 * the same matches, the same balance and the same worst |SMD| for the same
 * data (the subgroups stage asks for the SMDs alone: `spread: false`), and
 * check for an empty arm or an unmatched sample the same way.
 *
 * Pure: no DuckDB, files or study config. Units come in a canonical order
 * (the cohort by person_id; a CSV by its full content) and every tie-break
 * follows that order; the output is per unit in the same order. The
 * matching itself is match-units.ts; the balance table and worst |SMD| are
 * balance-statistics.ts. A PS model that cannot be fitted throws its
 * PipelineFailure (ps_rank_deficient, ps_separation, ps_not_converged).
 */
import { type BalanceRow, balanceFeatures, computeBalance, type WorstBalance, worstBalanceAfter } from './balance-statistics.js';
import type { CovariateColumn } from './design-matrix.js';
import { matchUnits, type UnitMatching } from './match-units.js';
import type { TreatedOrder } from './nearest-neighbour.js';

export interface MatchInput {
  /** Per unit, in canonical order: 1 = treated, 0 = control. */
  treated: Uint8Array;
  /** A covariate by name, one value per unit in the same order: numbers, or strings (dummy-coded). */
  covariate(name: string): CovariateColumn;
}

/** How to match, by covariate name. */
export interface MatchDesign {
  method: 'exact' | 'nearest';
  /** exact: the strata; nearest: cells to match within (may be empty). */
  exactCovariates: readonly string[];
  /** nearest: the PS model's covariates, in model order. */
  psCovariates: readonly string[];
  /** The rows of the balance table, in order. */
  balanceCovariates: readonly string[];
  /** Controls per treated unit (nearest, 1:k). */
  ratio: number;
  /** Caliper in SDs of the logit PS over all units; none when undefined. */
  caliperSd?: number;
  replace: boolean;
  order: TreatedOrder;
}

export interface ArmCounts {
  treated: number;
  control: number;
}

export interface MatchOutput extends UnitMatching {
  /**
   * Before and after matching, with the persons of each arm behind every row (matched with `spread: false`: no
   * variance ratio or eCDF max of a non-binary variable, computeBalance).
   */
  balance: BalanceRow[];
  /** The largest |SMD| after matching and its `covariate=level`; null when no row has one. */
  worstAfter: WorstBalance | null;
  /** Units per arm. */
  persons: ArmCounts;
  /** Units per arm with a weight above 0. */
  matched: ArmCounts;
}

/** A matched sample, or why there is none. */
export type TableMatching =
  | { status: 'matched'; output: MatchOutput }
  | { status: 'empty_arm'; arm: 'treated' | 'control' }
  | { status: 'no_treated_matched' };

/** `spread: false`: the balance without the variance ratios and eCDF maxima, for a caller that reads only the SMDs. */
export function matchTable(input: MatchInput, design: MatchDesign, { spread = true }: { spread?: boolean } = {}): TableMatching {
  const { treated } = input;
  const persons = countArms(treated);
  if (persons.treated === 0) return { status: 'empty_arm', arm: 'treated' };
  if (persons.control === 0) return { status: 'empty_arm', arm: 'control' };

  const columns = (names: readonly string[]) => names.map((name) => input.covariate(name));
  const matching = matchUnits(treated, {
    method: design.method,
    exactCovariates: columns(design.exactCovariates),
    psCovariates: design.method === 'nearest' ? columns(design.psCovariates) : [],
    ratio: design.ratio,
    caliperSd: design.caliperSd,
    replace: design.replace,
    order: design.order,
  });
  const matched = countArms(treated, matching.weights);
  if (matched.treated === 0) return { status: 'no_treated_matched' };

  const balance = computeBalance(balanceFeatures(columns(design.balanceCovariates)), treated, matching.weights, { spread });
  return { status: 'matched', output: { ...matching, balance, worstAfter: worstBalanceAfter(balance), persons, matched } };
}

/** Units per arm; with weights, only those weighted above 0. */
export function countArms(treated: Uint8Array, weights?: Float64Array): ArmCounts {
  const counts: ArmCounts = { treated: 0, control: 0 };
  treated.forEach((isTreated, unit) => {
    if (weights && !(weights[unit]! > 0)) return;
    if (isTreated === 1) counts.treated++;
    else counts.control++;
  });
  return counts;
}
