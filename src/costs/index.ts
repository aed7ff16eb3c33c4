/**
 * Costs stage: intervention, benefit and healthcare cost differences,
 * cost-effectiveness (ICER, plane, net monetary benefit, acceptability
 * curve) and return on investment per perspective, with bootstrap CIs.
 * Euros are in the prices of `costs.price_year` (consumer-price-index.ts)
 * and costs and the effect are discounted per follow-up year at
 * `costs.discount_rates`. Healthcare costs come from the healthcare_costs
 * extract when any delivery brought one, else from the config's labelled
 * assumption.
 * SQL: sql/costs/01 (per person), 02-03 (bootstrap arm means, in SQL);
 * cost-effectiveness.ts turns the replicates' means into the measures.
 * Writes `costs`, `cost_plane` and `cost_acceptability`.
 */
import type { StudyConfig } from '../config/study-config.js';
import { type Database, quoteLiteral } from '../db/database.js';
import { fail } from '../errors.js';
import type { Stage } from '../stage.js';
import { CPI_YEARS, consumerPriceIndex } from './consumer-price-index.js';
import {
  type ArmMeans,
  analyseCostEffectiveness,
  COST_MEASURES,
  type CostEffectiveness,
  planeShareMeasure,
  QUADRANTS,
  willingnessToPayGrid,
} from './cost-effectiveness.js';

type Costs = StudyConfig['costs'];

/** How the bootstrap resamples, following the matching design (sql/costs/03). */
export function bootstrapDesign(matching: StudyConfig['matching']): 'rematched_within_arms' | 'sets' | 'fixed_weights_within_arms' {
  if (matching.method === 'exact') return 'rematched_within_arms';
  return matching.replace ? 'fixed_weights_within_arms' : 'sets';
}

const RESAMPLED = {
  rematched_within_arms:
    'persons resampled within their arm and exactly matched again in each replicate (strata weights re-taken; a stratum without both arms drops out), the effect re-estimated',
  sets: 'whole matched sets resampled (nearest neighbour without replacement; a set drawn twice counts as two), the effect re-estimated in each replicate',
  fixed_weights_within_arms:
    'persons resampled within their arm with their matching weights fixed (nearest neighbour with replacement; ' +
    "MatchIt's guidance prefers re-matching in each replicate, which is not done)",
} as const;

/** Follow-up year k of event month m >= 1: months 1-12 are year 0. */
export function followUpYear(month: number): number {
  return Math.floor((Math.max(month, 1) - 1) / 12);
}

async function writePriceIndex(db: Database): Promise<void> {
  const rows = [...consumerPriceIndex()].map(([year, value]) => `(${year}, ${value})`);
  await db.run(
    'costs: consumer price index',
    `create or replace table consumer_price_index as
     select year::integer as year, index_value::double as index_value from (values ${rows.join(', ')}) as t(year, index_value)`,
  );
}

/**
 * Every calendar year a cost is counted in must have a price index: a missing one would drop euros silently.
 * The years from the panel's first calendar month and the trajectories' first start to their last hold every
 * such year; only when one of them lacks an index are the years costs are counted in found exactly (that pass
 * over the matched persons' observed months took 1.5 s at 1,000,000 persons, the bounds 0.05 s).
 */
async function checkPriceYears(db: Database, monthsAfter: number): Promise<void> {
  const [bounds] = await db.query<{ covered: boolean }>(
    'costs: price index over the calendar',
    `with spans as (
         select min(calendar_month) as first, max(calendar_month) as last from panel_person_month
         union all
         select min(start_date), max(start_date) from trajectories
     )
     select count(*) = 0 as covered
     from (select unnest(range(year(min(first)), year(max(last)) + 1)) as year from spans)
     where year not in (select year from consumer_price_index)`,
  );
  if (bounds!.covered) return;
  const [row] = await db.query<{ years: number[] }>(
    'costs: years without a price index',
    `select coalesce(list(distinct year order by year), []) as years from (
         select year(calendar_month) as year from panel_person_month
         where observed and event_month between 1 and $months_after and person_id in (select person_id from matches where weight > 0)
         union all
         select year(trajectories.start_date) from trajectories join cohort using (person_id)
         where trajectories.start_date >= cohort.index_date and trajectories.start_date < cohort.index_month + to_months($months_after + 1)
     ) where year not in (select year from consumer_price_index)`,
    { months_after: monthsAfter },
  );
  if (row!.years.length) fail({ code: 'price_index_missing', years: row!.years.map(Number), from: CPI_YEARS.from, to: CPI_YEARS.to });
}

/** What the healthcare costs rest on: the extract (with its years) or the config's assumption. */
async function healthcareBasis(db: Database, costs: Costs): Promise<{ fromExtract: boolean; basis: string }> {
  const [row] = await db.query<{ rows: number; first: number | null; last: number | null }>(
    'costs: healthcare extract',
    'select count(*)::double as rows, min(year) as first, max(year) as last from healthcare_costs',
  );
  if (row!.rows > 0) {
    return {
      fromExtract: true,
      basis: `healthcare: Zvw claims in the healthcare_costs extract (${row!.first}-${row!.last}), a twelfth of a year's claims per observed month; a year without claims counts 0`,
    };
  }
  const { treated, control } = costs.healthcare_eur_per_person_month;
  return {
    fromExtract: false,
    basis: `healthcare: ASSUMPTION, no healthcare_costs extract delivered; EUR ${treated} (treated) and ${control} (control) per observed person-month from the study config`,
  };
}

async function writeCostTables(
  db: Database,
  analysis: CostEffectiveness,
  labels: { nTreated: number; nControl: number; effect: string; ciMethod: string; basis: Record<string, string> },
): Promise<void> {
  const counts = (rows: number) => [
    { type: 'INTEGER' as const, values: new Array<number>(rows).fill(labels.nTreated) },
    { type: 'INTEGER' as const, values: new Array<number>(rows).fill(labels.nControl) },
  ];
  const round = (value: number, digits = 6) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null);
  await db.run(
    'costs: tables',
    `create or replace table costs (perspective varchar, measure varchar, label varchar, estimate double, ci_low double, ci_high double,
         replicates integer, unit varchar, n_treated integer, n_control integer, effect varchar, ci_method varchar, basis varchar, note varchar);
     create or replace table cost_plane (perspective varchar, replicate integer, incremental_effect double, incremental_cost_eur double,
         quadrant varchar, n_treated integer, n_control integer);
     create or replace table cost_acceptability (perspective varchar, willingness_to_pay_eur double, nmb_eur double, ci_low double,
         ci_high double, probability_cost_effective double, n_treated integer, n_control integer)`,
  );
  const rows = [
    ...analysis.estimates.map((estimate) => {
      const definition = COST_MEASURES[estimate.measure];
      return { ...estimate, perspective: definition.perspective, label: definition.label, unit: definition.unit, kind: estimate.measure };
    }),
    ...analysis.quadrantShares.map(({ perspective, quadrant, share }) => ({
      perspective,
      measure: planeShareMeasure(perspective, quadrant),
      label: `Share of replicates ${QUADRANTS[quadrant]}`,
      unit: 'share of bootstrap replicates',
      estimate: share,
      ci_low: Number.NaN,
      ci_high: Number.NaN,
      replicates: analysis.plane.filter((point) => point.perspective === perspective).length,
      note: null,
      kind: 'plane_share',
    })),
  ];
  await db.appendColumns('costs', [
    { type: 'VARCHAR', values: rows.map((row) => row.perspective) },
    { type: 'VARCHAR', values: rows.map((row) => row.measure) },
    { type: 'VARCHAR', values: rows.map((row) => row.label) },
    ...(['estimate', 'ci_low', 'ci_high'] as const).map((field) => ({
      type: 'DOUBLE' as const,
      values: rows.map((row) => round(row[field])),
    })),
    { type: 'INTEGER', values: rows.map((row) => row.replicates) },
    { type: 'VARCHAR', values: rows.map((row) => row.unit) },
    ...counts(rows.length),
    { type: 'VARCHAR', values: rows.map(() => labels.effect) },
    { type: 'VARCHAR', values: rows.map(() => labels.ciMethod) },
    { type: 'VARCHAR', values: rows.map((row) => labels.basis[row.kind] ?? labels.basis[row.perspective] ?? labels.basis.default!) },
    { type: 'VARCHAR', values: rows.map((row) => row.note) },
  ]);
  // Plane points are rounded (effect to 1e-4, cost to whole euros): a figure needs no more, and exact replicate means are not published.
  const { plane, netBenefit } = analysis;
  await db.appendColumns('cost_plane', [
    { type: 'VARCHAR', values: plane.map((point) => point.perspective) },
    { type: 'INTEGER', values: plane.map((point) => point.replicate) },
    { type: 'DOUBLE', values: plane.map((point) => round(point.incremental_effect, 4)) },
    { type: 'DOUBLE', values: plane.map((point) => round(point.incremental_cost_eur, 0)) },
    { type: 'VARCHAR', values: plane.map((point) => point.quadrant) },
    ...counts(plane.length),
  ]);
  await db.appendColumns('cost_acceptability', [
    { type: 'VARCHAR', values: netBenefit.map((row) => row.perspective) },
    { type: 'DOUBLE', values: netBenefit.map((row) => row.willingness_to_pay_eur) },
    ...(['nmb_eur', 'ci_low', 'ci_high', 'probability_cost_effective'] as const).map((field) => ({
      type: 'DOUBLE' as const,
      values: netBenefit.map((row) => round(row[field])),
    })),
    ...counts(netBenefit.length),
  ]);
}

/**
 * What one statement of the bootstrap holds, whatever the cohort: its drawn
 * rows (units' rows x replicates) and its groups (replicates x matched sets x
 * arms, where drawn persons are grouped). The sets do not grow with the
 * persons under exact matching, so bounding rows alone put all 1,000
 * replicates of a 60,000-person run (33,040 persons drawn, 1,176 sets) in one
 * statement of 2.4 M groups, the run's peak memory. At 1,000,000 persons the
 * rows bound still decides (56 replicates, 237 k groups). Whole sets drawn
 * are not grouped: a group per replicate.
 */
const BOOTSTRAP_ROWS_PER_STATEMENT = 1 << 25;
const BOOTSTRAP_GROUPS_PER_STATEMENT = 1 << 18;

/**
 * cost_replicate_means: the arm means of the sample and of each replicate
 * (sql/costs/03), a few replicates per statement, over the units indexed
 * once (sql/costs/02): persons, or under the sets design whole sets with
 * their arms summed (02_sum_set_arms.sql). The replicates are the same bits
 * however they are grouped (each one's draws are its own).
 */
export async function bootstrapArmMeans(
  db: Database,
  options: {
    design: ReturnType<typeof bootstrapDesign>;
    replicates: number;
    seed: number;
    rowsPerStatement?: number;
    groupsPerStatement?: number;
    /** Units past which each cell's are looked up in a table of its own (bootstrapUnitTables). */
    indexedJoinKeys?: number;
    /** Draws a union branch of the view takes at most, its replicates crossed (DRAWS_PER_BRANCH). */
    drawsPerBranch?: number;
  },
): Promise<void> {
  await db.run('costs: replicate means', 'drop table if exists cost_replicate_means');
  await db.runFile(
    options.design === 'fixed_weights_within_arms' ? 'costs/02_weigh_drawn_persons.sql' : 'costs/02_count_drawn_persons.sql',
  );
  await db.runFile('costs/02_index_bootstrap_units.sql', { design: options.design });
  // The draws' cells compressed (02_index_bootstrap_units.sql), so that hash() takes each vector's cells once:
  // drawing 60 M units from two cells took 0.42-0.59 s of CPU against 1.39-1.57 s, the same draws.
  await db.run('costs: compress the draws', 'checkpoint temp');
  const wholeSets = options.design === 'sets';
  if (wholeSets) await db.runFile('costs/02_sum_set_arms.sql');
  const source = wholeSets ? 'cost_bootstrap_sets' : 'cost_bootstrap_persons';
  const [{ rows, groups, units }] = (await db.query<{ rows: number; groups: number; units: number }>(
    'costs: units to draw',
    `select count(*)::double as rows, ${wholeSets ? '1' : 'count(distinct set_arm)'}::double as groups,
        coalesce(max(unit_key) + 1, 0)::double as units
     from ${source}`,
  )) as [{ rows: number; groups: number; units: number }];
  const unitTables = await bootstrapUnitTables(db, source, units > (options.indexedJoinKeys ?? INDEXED_JOIN_KEYS));
  const perStatement = Math.max(
    1,
    Math.min(
      Math.floor((options.rowsPerStatement ?? BOOTSTRAP_ROWS_PER_STATEMENT) / Math.max(rows, 1)),
      Math.floor((options.groupsPerStatement ?? BOOTSTRAP_GROUPS_PER_STATEMENT) / Math.max(groups, 1)),
    ),
  );
  const perBranch = Math.max(1, Math.floor((options.drawsPerBranch ?? DRAWS_PER_BRANCH) / Math.max(units, 1)));
  for (let first = 0; first <= options.replicates; first += perStatement) {
    const last = Math.min(first + perStatement - 1, options.replicates);
    await db.run('costs: replicates drawn', replicateDrawnView(options.seed, first, last, unitTables, perBranch));
    // DuckDB binds a view when it is made: the set sums' view, once the drawn units' view exists
    if (first === 0) await db.runFile(wholeSets ? 'costs/03_list_drawn_sets.sql' : 'costs/03_group_drawn_persons.sql');
    await db.runFile('costs/03_bootstrap_arm_means.sql', { design: options.design });
  }
  const cellTables = unitTables.filter((units) => units.cell !== null).map((units) => `drop table ${units.table}`);
  await db.run(
    'costs: drop replicates drawn',
    ['drop view cost_replicate_set_sums', 'drop view cost_replicate_drawn', ...cellTables].join(';\n'),
  );
}

/**
 * The most values a join key may span for DuckDB to join by array index (its perfect hash join, decided on the
 * statistics of the table it builds from); past it, a hash table. With 1,049,200 units in one table against
 * 1,048,000, a statement of 56 replicates took 4.2 s against 3.1 s (the join 4.8 s against 0.13 s of operator time).
 */
const INDEXED_JOIN_KEYS = 2 ** 20;

/** Units a cell's draws are looked up in: a table, and the cell it holds (null: every cell). */
export interface UnitTable {
  cell: string | null;
  table: string;
}

/**
 * The tables the draws find their units in: `source` (cost_bootstrap_persons, or cost_bootstrap_sets), or past
 * INDEXED_JOIN_KEYS units (`split`) each cell's in a table of its own (`cost_bootstrap_cell_<n>`), so that the key
 * of each join spans one cell's units by its table's statistics, which a filter on the cell would not narrow:
 * 1,186,596 units in two cells' tables took 3.6-4.0 s a statement against 4.8-5.2 s in one, the same sums. Below it
 * one table serves: per cell a union branch of every replicate more to plan cost the 10,000-person run's costs stage
 * 0.4-0.6 s (1.6-1.7 against 1.1-1.2 s).
 */
async function bootstrapUnitTables(db: Database, source: string, split: boolean): Promise<UnitTable[]> {
  if (!split) return [{ cell: null, table: source }];
  const cells = (await db.query<{ cell: string }>('costs: cells', `select distinct cell from ${source} order by cell`)).map(
    (row) => row.cell,
  );
  const tables = cells.map((cell, index) => ({ cell, table: `cost_bootstrap_cell_${index}` }));
  for (const { cell, table } of tables) {
    await db.run(
      "costs: a cell's units",
      `create or replace table ${table} as select * from ${source} where cell = $cell order by unit_key`,
      { cell },
    );
  }
  return tables;
}

/**
 * The draws a union branch of cost_replicate_drawn takes at most: with fewer units than this a replicate, a branch
 * draws a range of replicates (floor(DRAWS_PER_BRANCH / units) of them), not one. A branch is a pipeline to plan and
 * run, which costs about as much as a few thousand draws: at 10,000 persons (3,920 units; 1,000 replicates in four
 * statements) the bootstrap's statements took 2.0-2.7 s with a branch per replicate, 0.72-0.73 s with 16-66
 * replicates a branch; at 60,000 (33,040 units, seven a branch) 3.5 against 3.8-4.4 s. Fewer, larger branches leave
 * the two threads too few pipelines to share: 1.2 s at 10,000 with one branch a statement. The same replicates.
 * Past 2^17 units (1,000,000 persons: 593,298), one replicate a branch, as before.
 */
const DRAWS_PER_BRANCH = 1 << 18;

/**
 * The view cost_replicate_drawn: the drawn persons of replicates `first` to `last`, per table of units
 * (bootstrapUnitTables) the draws of its cell joined to it, in union branches of `perBranch` consecutive replicates
 * (one branch per replicate: sql/costs/03 says why; several: DRAWS_PER_BRANCH). A view cannot take parameters, so the
 * seed and replicate numbers are written into it (integers, checked here), and the cells as literals.
 */
export function replicateDrawnView(seed: number, first: number, last: number, unitTables: readonly UnitTable[], perBranch = 1): string {
  if (![seed, first, last, perBranch].every(Number.isSafeInteger) || first > last || perBranch < 1) {
    throw new Error(
      `replicateDrawnView: seed and replicates must be integers, first <= last, perBranch >= 1 (${seed}, ${first}, ${last}, ${perBranch})`,
    );
  }
  if (unitTables.length === 0) throw new Error('replicateDrawnView: no table of units to draw from');
  const drawn = unitTables.map(({ cell, table }) => {
    const drawCell = cell === null ? 'null' : quoteLiteral(cell);
    const branches = Array.from({ length: Math.ceil((last - first + 1) / perBranch) }, (_, i) => {
      const from = first + i * perBranch;
      const to = Math.min(from + perBranch - 1, last);
      return from === to
        ? `select * from bootstrap_replicate_draws(${seed}, ${from}, ${drawCell})`
        : `select * from bootstrap_replicate_range_draws(${seed}, ${from}, ${to}, ${drawCell})`;
    });
    return `select draws.replicate, persons.*\nfrom (\n${branches.join('\nunion all\n')}\n) as draws\njoin ${table} as persons using (unit_key)`;
  });
  return `create or replace temp view cost_replicate_drawn as\n${drawn.join('\nunion all\n')}`;
}

export const costsStage: Stage = {
  name: 'costs',
  reads: ['cohort', 'matches', 'trajectories', 'panel_person_month', 'observed_person_months', 'healthcare_costs'],
  writes: ['consumer_price_index', 'cost_persons', 'cost_replicate_means', 'costs', 'cost_plane', 'cost_acceptability'],
  scratch: [
    'cost_bootstrap_persons',
    'cost_bootstrap_sets',
    'cost_bootstrap_draws',
    'cost_bootstrap_cell_*',
    'cost_replicate_drawn',
    'cost_replicate_set_sums',
  ],
  run: async ({ db, study }) => {
    const { costs } = study;
    const monthsAfter = study.follow_up.months_after;
    await writePriceIndex(db);
    await checkPriceYears(db, monthsAfter);
    const healthcare = await healthcareBasis(db, costs);
    await db.runFile('costs/01_price_person_costs.sql', {
      treated_programme: study.arms.treated,
      default_cost_treated_eur: costs.default_trajectory_cost_eur.treated,
      default_cost_control_eur: costs.default_trajectory_cost_eur.control,
      healthcare_from_extract: healthcare.fromExtract,
      healthcare_treated_eur_per_month: costs.healthcare_eur_per_person_month.treated,
      healthcare_control_eur_per_month: costs.healthcare_eur_per_person_month.control,
      months_after: monthsAfter,
      price_year: costs.price_year,
      discount_costs: costs.discount_rates.costs,
      effect_outcome: costs.effect.outcome,
      effect_month: costs.effect.month,
    });
    const design = bootstrapDesign(study.matching);
    await bootstrapArmMeans(db, { design, ...costs.bootstrap });
    const [sample, ...replicates] = await db.query<ArmMeans>('costs: arm means', 'select * from cost_replicate_means order by replicate');
    const [persons] = await db.query<{ treated: number; control: number }>(
      'costs: persons',
      'select count(*) filter (where treated = 1)::double as treated, count(*) filter (where treated = 0)::double as control from cost_persons',
    );
    const effectYear = followUpYear(costs.effect.month);
    const analysis = analyseCostEffectiveness(sample!, replicates, {
      effectDiscount: (1 + costs.discount_rates.effects) ** -effectYear,
      willingnessToPay: willingnessToPayGrid(costs.willingness_to_pay_eur),
    });
    const rates = `costs discounted ${100 * costs.discount_rates.costs}% a year from the second follow-up year`;
    const prices = `euros in prices of ${costs.price_year} (CBS consumer price index)`;
    await writeCostTables(db, analysis, {
      nTreated: persons!.treated,
      nControl: persons!.control,
      effect: `${costs.effect.outcome} at month ${costs.effect.month}, among the persons observed then`,
      ciMethod: `95% percentile bootstrap, ${costs.bootstrap.replicates} replicates, seed ${costs.bootstrap.seed}: ${RESAMPLED[design]}`,
      basis: {
        default: `${prices}; ${rates}`,
        societal: `${prices}; ${rates}; ${healthcare.basis}`,
        healthcare_cost_difference_eur: `${prices}; ${rates}; ${healthcare.basis}`,
        effect_difference: 'undiscounted',
        payer_incremental_effect: `discounted ${100 * costs.discount_rates.effects}% a year: month ${costs.effect.month} lies in follow-up year ${effectYear + 1}`,
        societal_incremental_effect: `discounted ${100 * costs.discount_rates.effects}% a year: month ${costs.effect.month} lies in follow-up year ${effectYear + 1}`,
        plane_share: 'bootstrap replicates with a finite effect; see cost_plane',
      },
    });
  },
};
