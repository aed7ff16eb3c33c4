/**
 * The planted effect as `truth.json`.
 *
 * The true ATT per event month is computed in SQL from the payroll periods of
 * both potential worlds, measured exactly as the pipeline measures outcomes;
 * this module fixes the population it is averaged over and shapes the file.
 * Grain in: synth_truth_month, one row per event month; synth_truth_subgroup_month,
 * one row per subgroup level and event month.
 * SQL: sql/synth/08_compute_truth.sql
 */
import type { BENEFIT_TYPES, ExtractName } from '../contracts/extracts.js';
import type { Database } from '../db/database.js';

/**
 * The study population the truth averages over: first trajectory IPS, index
 * date in the window the synthetic index dates are spread over, age = index
 * year - birth year in range, on a qualifying benefit at the index date. A
 * study config with these rules (and no cause or target-group filter) has
 * exactly this treated group.
 */
export const TRUTH_POPULATION = {
  indexFrom: '2012-01-01',
  indexTo: '2016-12-31',
  minAge: 18,
  maxAge: 66,
  qualifyingBenefitTypes: ['ZW', 'WGA', 'IVA', 'WAJONG', 'WAO'] satisfies (typeof BENEFIT_TYPES)[number][],
  followUpMonths: 36,
} as const;

/** ATT per event month ("1".."36"); null when the population has no IPS persons. */
export type AttByMonth = Record<string, number | null>;

export interface OutcomeAtt {
  employed_any: AttByMonth;
  employed_48h: AttByMonth;
}

export interface Truth {
  att: OutcomeAtt;
  /** The same per subgroup (target_group, funder, provider) and level, over the level's IPS persons. */
  att_by_subgroup: Record<string, Record<string, OutcomeAtt>>;
  persons: number;
  seed: number;
  ips_persons: number;
  synth_bad_rows: Partial<Record<ExtractName, number>>;
}

interface TruthMonthRow {
  event_month: number;
  ips_persons: number;
  att_employed_any: number | null;
  att_employed_48h: number | null;
}

export async function readTruth(
  db: Database,
  world: { persons: number; seed: number },
  badRows: Truth['synth_bad_rows'],
): Promise<Truth> {
  const rows = await db.query<TruthMonthRow>(
    'synth truth',
    'select event_month, ips_persons, att_employed_any, att_employed_48h from synth_truth_month order by event_month',
  );
  const subgroupRows = await db.query<TruthMonthRow & { subgroup: string; level: string }>(
    'synth truth per subgroup',
    'select subgroup, level, event_month, ips_persons, att_employed_any, att_employed_48h from synth_truth_subgroup_month order by all',
  );
  const attOf = (monthRows: readonly TruthMonthRow[]): OutcomeAtt => {
    const byMonth = (pick: (row: TruthMonthRow) => number | null): AttByMonth =>
      Object.fromEntries(monthRows.map((row) => [String(row.event_month), pick(row)]));
    return { employed_any: byMonth((row) => row.att_employed_any), employed_48h: byMonth((row) => row.att_employed_48h) };
  };
  const bySubgroup: Truth['att_by_subgroup'] = {};
  for (const subgroup of new Set(subgroupRows.map((row) => row.subgroup))) {
    const levels = subgroupRows.filter((row) => row.subgroup === subgroup);
    bySubgroup[subgroup] = Object.fromEntries(
      [...new Set(levels.map((row) => row.level))].map((level) => [level, attOf(levels.filter((row) => row.level === level))]),
    );
  }
  return {
    att: attOf(rows),
    att_by_subgroup: bySubgroup,
    persons: world.persons,
    seed: world.seed,
    ips_persons: rows[0]?.ips_persons ?? 0,
    synth_bad_rows: badRows,
  };
}
