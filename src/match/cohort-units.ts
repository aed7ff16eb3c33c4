/**
 * The cohort as the engine's input (engine.ts): one unit per person, in
 * person_id order. That order is the canonical one every tie-break follows,
 * so matching never depends on the order rows were stored in; a subset
 * keeps it.
 */
import { NUMERIC_COVARIATES } from '../config/study-config.js';
import type { Database } from '../db/database.js';
import { quoteIdentifier } from '../db/database.js';
import type { CovariateColumn } from './design-matrix.js';
import type { MatchInput } from './engine.js';

const NUMERIC: ReadonlySet<string> = new Set(NUMERIC_COVARIATES);

export interface CohortUnits extends MatchInput {
  personIds: readonly (string | null)[];
}

/** Reads person_id, treated and the named cohort columns (numeric covariates as numbers, the rest as strings). */
export async function readCohortUnits(db: Database, names: readonly string[]): Promise<CohortUnits> {
  const columns = await db.readColumns(
    'match: read cohort',
    `select person_id, treated::double as treated${names
      .map((name) => `, ${quoteIdentifier(name)}::${NUMERIC.has(name) ? 'double' : 'varchar'} as ${quoteIdentifier(name)}`)
      .join('')}
     from cohort order by person_id`,
  );
  const covariates = new Map(
    names.map((name): [string, CovariateColumn] => [
      name,
      NUMERIC.has(name)
        ? { name, kind: 'numeric', values: columns[name] as Float64Array }
        : { name, kind: 'categorical', values: (columns[name] as (string | null)[]).map((value) => value ?? '') },
    ]),
  );
  return {
    personIds: columns.person_id as (string | null)[],
    treated: Uint8Array.from(columns.treated as Float64Array),
    covariate: (name) => covariates.get(name) ?? missingColumn(name),
  };
}

/** The units for which `keep(unit)` holds, in the same order; each column is subset once, when first asked for. */
export function selectUnits(units: CohortUnits, keep: (unit: number) => boolean): CohortUnits {
  let count = 0;
  const kept = new Int32Array(units.treated.length);
  for (let unit = 0; unit < units.treated.length; unit++) if (keep(unit)) kept[count++] = unit;
  const keptUnits = kept.subarray(0, count);
  // typed loops, not a callback per unit: a provider's level keeps every control, and there is a level per provider
  const pick = <T>(values: ArrayLike<T>): T[] => {
    const picked = new Array<T>(count);
    for (let index = 0; index < count; index++) picked[index] = values[keptUnits[index]!]!;
    return picked;
  };
  const pickNumbers = (values: ArrayLike<number>, into: Float64Array | Uint8Array) => {
    for (let index = 0; index < count; index++) into[index] = values[keptUnits[index]!]!;
    return into;
  };
  const subsets = new Map<string, CovariateColumn>();
  const subset = (name: string): CovariateColumn => {
    const column = units.covariate(name);
    return column.kind === 'numeric'
      ? { ...column, values: pickNumbers(column.values, new Float64Array(count)) as Float64Array }
      : { ...column, values: pick(column.values) };
  };
  return {
    personIds: pick(units.personIds),
    treated: pickNumbers(units.treated, new Uint8Array(count)) as Uint8Array,
    covariate: (name) => subsets.get(name) ?? subsets.set(name, subset(name)).get(name)!,
  };
}

function missingColumn(name: string): never {
  throw new Error(`cohort column ${name} was not read`);
}
