/**
 * The planted effect as `truth.json`.
 *
 * The true ATT per event month is computed in SQL from the payroll periods and
 * benefit spells of both potential worlds, measured exactly as the pipeline
 * measures outcomes and observation; this module fixes the population it is
 * averaged over and shapes the file, with the hazard counts beside it.
 * Grain in: synth_truth_month, one row per event month; synth_truth_subgroup_month,
 * one row per subgroup level and event month; synth_hazard_count, one row.
 * SQL: sql/synth/09_compute_truth.sql, sql/synth/12_count_hazards.sql
 */
import type { BENEFIT_TYPES, ExtractName } from '../contracts/extracts.js';
import type { Database } from '../db/database.js';

/**
 * The study population the truth averages over, as `config/demo.yaml` states
 * it and the pipeline applies it to the final extracts: first trajectory IPS,
 * no IPS and TVR trajectories starting on the same day, index date in the
 * window, age = index year - birth year in range, on a qualifying benefit at
 * the index date, alive and resident at the index date (death and emigration
 * dates empty or after it), below the state-pension (AOW) age at it
 * (state_pension_month after the index date), and the months from
 * `lookBackMonths` before to `followUpMonths` after the index month inside
 * the stated coverage of both the employment and the benefit extract. A study
 * config with these rules (and no cause or target-group filter) has exactly
 * this treated group. Each month's ATT averages over those of them observed
 * in that month (inside both coverages, before death, emigration and the
 * state-pension month).
 */
export const TRUTH_POPULATION = {
  indexFrom: '2012-01-01',
  indexTo: '2016-12-31',
  minAge: 18,
  maxAge: 66,
  qualifyingBenefitTypes: ['ZW', 'WGA', 'IVA', 'WAJONG', 'WAO'] satisfies (typeof BENEFIT_TYPES)[number][],
  lookBackMonths: 24,
  followUpMonths: 36,
} as const;

/** ATT per event month ("1".."36"); null when no IPS person of the population is observed in the month. */
export type AttByMonth = Record<string, number | null>;

export const TRUTH_OUTCOMES = ['employed_any', 'employed_48h', 'on_benefit'] as const;
export type TruthOutcome = (typeof TRUTH_OUTCOMES)[number];

export type OutcomeAtt = Record<TruthOutcome, AttByMonth>;

export interface TruthDelivery {
  delivery_id: string;
  extract_date: string;
  /** Bad rows planted per extract file of this delivery. */
  synth_bad_rows: Partial<Record<ExtractName, number>>;
}

export interface Truth {
  att: OutcomeAtt;
  /**
   * Mean outcome per month over the same observed IPS persons in each world;
   * `ips_world` is what the pipeline measures for its IPS arm.
   */
  world_means: { ips_world: OutcomeAtt; control_world: OutcomeAtt };
  /** The same per subgroup (target_group, funder, provider) and level, over the level's IPS persons. */
  att_by_subgroup: Record<string, Record<string, OutcomeAtt>>;
  persons: number;
  seed: number;
  /** IPS persons of the population at the index date. */
  ips_persons: number;
  /** Of them, observed per event month ("1".."36"): the denominator of each month's ATT. */
  ips_persons_observed: Record<string, number>;
  /** How often each register hazard occurs (sql/synth/12_count_hazards.sql). */
  hazards: Record<string, number>;
  /** The deliveries the world was written as, in order; the last holds this file. */
  deliveries: TruthDelivery[];
  /** Bad rows per extract, over all deliveries. */
  synth_bad_rows: Partial<Record<ExtractName, number>>;
}

/** One row of synth_truth_month or synth_truth_subgroup_month: att_<outcome>, ips_world_<outcome>, ... */
interface TruthMonthRow {
  event_month: number;
  ips_persons: number;
  ips_persons_observed: number;
  [column: string]: number | string | null;
}

export async function readTruth(db: Database, world: { persons: number; seed: number }, deliveries: TruthDelivery[]): Promise<Truth> {
  const rows = await db.query<TruthMonthRow>('synth truth', 'select * from synth_truth_month order by event_month');
  const subgroupRows = await db.query<TruthMonthRow & { subgroup: string; level: string }>(
    'synth truth per subgroup',
    'select * from synth_truth_subgroup_month order by subgroup, level, event_month',
  );
  const [hazards] = await db.query<Record<string, number>>('synth hazards', 'select * from synth_hazard_count');
  const byMonth = (monthRows: readonly TruthMonthRow[], column: string) =>
    Object.fromEntries(monthRows.map((row) => [String(row.event_month), row[column] as number | null]));
  /** Per outcome and month, the column `<prefix>_<outcome>`. */
  const outcomesOf = (monthRows: readonly TruthMonthRow[], prefix: 'att' | 'ips_world' | 'control_world') =>
    Object.fromEntries(TRUTH_OUTCOMES.map((outcome) => [outcome, byMonth(monthRows, `${prefix}_${outcome}`)])) as OutcomeAtt;
  const attOf = (monthRows: readonly TruthMonthRow[]): OutcomeAtt => outcomesOf(monthRows, 'att');
  const bySubgroup: Truth['att_by_subgroup'] = {};
  for (const subgroup of new Set(subgroupRows.map((row) => row.subgroup))) {
    const levels = subgroupRows.filter((row) => row.subgroup === subgroup);
    bySubgroup[subgroup] = Object.fromEntries(
      [...new Set(levels.map((row) => row.level))].map((level) => [level, attOf(levels.filter((row) => row.level === level))]),
    );
  }
  const badRows: Truth['synth_bad_rows'] = {};
  for (const delivery of deliveries) {
    for (const [extract, count] of Object.entries(delivery.synth_bad_rows) as [ExtractName, number][]) {
      badRows[extract] = (badRows[extract] ?? 0) + count;
    }
  }
  return {
    att: attOf(rows),
    world_means: { ips_world: outcomesOf(rows, 'ips_world'), control_world: outcomesOf(rows, 'control_world') },
    att_by_subgroup: bySubgroup,
    persons: world.persons,
    seed: world.seed,
    ips_persons: rows[0]?.ips_persons ?? 0,
    ips_persons_observed: byMonth(rows, 'ips_persons_observed') as Record<string, number>,
    hazards: hazards ?? {},
    deliveries,
    synth_bad_rows: badRows,
  };
}
