/**
 * Builds the propensity-score design matrix from covariate columns.
 *
 * Columns, in order: the intercept `(Intercept)`; then each covariate in the
 * order given: a numeric covariate as-is (its own name), a string covariate
 * dummy-coded with one 0/1 column per level except the first, named
 * `covariate=level` (e.g. `sex=M`). Levels are sorted in JavaScript's default
 * string order (UTF-16 code units), which for ASCII equals the C locale, so
 * the reference level is the one R picks under `LC_COLLATE=C`
 * (`factor()` sorts levels by the collation locale; `Noord` < `West` < `midden`).
 * A string covariate with a single level carries no information and is
 * reported as rank deficient, as R's glm refuses a one-level factor.
 *
 * Layout: a Float64Array, row-major n x p (`values[row * columnCount + column]`).
 * Rows are units in the caller's order; nothing here depends on that order.
 */
import { fail } from '../errors.js';

export type CovariateColumn =
  | { name: string; kind: 'numeric'; values: Float64Array }
  | { name: string; kind: 'categorical'; values: readonly string[] };

export interface DesignMatrix {
  rowCount: number;
  columnCount: number;
  /** Row-major n x p. */
  values: Float64Array;
  /** `(Intercept)`, numeric covariate names, `covariate=level` dummies. */
  columnNames: string[];
}

export const INTERCEPT_COLUMN = '(Intercept)';

/** The distinct values of a string covariate in JavaScript's default (C-locale) order. */
export function categoryLevels(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

/**
 * How a covariate, or one level of a string covariate, is named everywhere:
 * design-matrix columns, balance rows, the worst-balanced covariate.
 */
export function covariateLabel(covariate: string, level: string | null): string {
  return level === null ? covariate : `${covariate}=${level}`;
}

export function buildDesignMatrix(covariates: readonly CovariateColumn[]): DesignMatrix {
  const rowCount = covariates[0]?.values.length ?? 0;
  const columnNames = [INTERCEPT_COLUMN];
  const fillers: ((row: number) => number)[] = [() => 1];
  for (const covariate of covariates) {
    if (covariate.values.length !== rowCount) {
      throw new Error(`covariate ${covariate.name} has ${covariate.values.length} values, expected ${rowCount}`);
    }
    if (covariate.kind === 'numeric') {
      const values = covariate.values;
      columnNames.push(covariate.name);
      fillers.push((row) => values[row]!);
      continue;
    }
    const levels = categoryLevels(covariate.values);
    if (levels.length < 2) fail({ code: 'ps_rank_deficient', column: covariate.name, combination: [INTERCEPT_COLUMN] });
    const values = covariate.values;
    for (const level of levels.slice(1)) {
      columnNames.push(covariateLabel(covariate.name, level));
      fillers.push((row) => (values[row] === level ? 1 : 0));
    }
  }
  const columnCount = columnNames.length;
  const values = new Float64Array(rowCount * columnCount);
  fillers.forEach((fill, column) => {
    for (let row = 0; row < rowCount; row++) values[row * columnCount + column] = fill(row);
  });
  return { rowCount, columnCount, values, columnNames };
}
