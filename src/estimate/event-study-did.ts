/**
 * Event-study difference-in-differences on the matched panel (DESIGN §3):
 * person and event-month fixed effects, treated x event-month effects
 * relative to a reference month, WLS with the matching weights, standard
 * errors clustered by person (CR1), and a pre-trend Wald test.
 *
 * No person dummies and no per-person work in JavaScript. Persons sharing a
 * pattern of observed months give X'WX (05). One pass over the panel, in
 * batches of persons (07-09), turns it into weighted within-person
 * deviations, kept as one list per outcome x block of persons x event
 * month; list sums and inner products give X'Wy (11) and the part of the
 * cluster meat that does not depend on the coefficients. Only the K x K
 * systems (K = 120 for months -24..36) are solved here, by the pure
 * functions in event-study-regression.ts; the coefficients go back to SQL
 * for the pattern-level rest of the meat (13), which never rereads the
 * panel. Every sum that leaves SQL is exact (DECIMAL) or added in a fixed
 * order, so the output is the same whatever the thread count or row order.
 *
 * Reads panel_person_month and matches; writes did_effects (the columns of
 * `effects`, one row per outcome x event month, the reference month with
 * estimate 0 and null se/CI) and pretrend_tests (two rows per outcome).
 * Working tables, all small: did_persons, did_design_sums,
 * did_batch_products, did_batch_deviations, did_outcome_sums,
 * did_coefficients, did_score_products (did_deviation_lists is temporary).
 * SQL: sql/estimate/04_select_did_persons.sql .. 15_write_pretrend_tests.sql
 */
import { OUTCOMES, type Outcome } from '../config/outcomes.js';
import { columnPattern, type Database } from '../db/database.js';
import { fail } from '../errors.js';
import { NORMAL_QUANTILE_975 } from './estimators.js';
import {
  type ArmMonthPairSum,
  type ArmMonthSum,
  type ClusterSample,
  clusterRobustCovariance,
  designEventStudy,
  type EventStudyDesign,
  type EventStudySummary,
  factorNormalEquations,
  fitCoefficients,
  slopeCoefficientCount,
  summariseEventStudy,
} from './event-study-regression.js';

export interface EventStudyDidOptions {
  outcomes: readonly Outcome[];
  /** The pre-index month every effect is relative to (study config estimators.did.reference_month, -1 by default). */
  referenceMonth: number;
  /**
   * Tuning, not statistics. Persons per score list (default 4096) and per
   * batch (default 32768; memory grows with batch x months x outcomes).
   * Output is identical across thread counts and batch sizes for a given
   * block size; another block size changes only the last bits.
   */
  layout?: { personsPerScoreBlock?: number; personsPerBatch?: number };
}

const DEFAULT_PERSONS_PER_SCORE_BLOCK = 4096;
const DEFAULT_PERSONS_PER_BATCH = 32_768;

export async function estimateEventStudyDid(db: Database, options: EventStudyDidOptions): Promise<void> {
  const outcomes = checkOutcomes(options.outcomes);
  await sumPanelWithinPersons(db, outcomes, options.layout ?? {});
  const sample = await readClusterSample(db);
  const designSums = await db.query<ArmMonthPairSum>(
    'estimate: read did_design_sums',
    `select treated::integer as treated, event_month, other_event_month, cross_product as value
     from did_design_sums order by all`,
  );
  const design = designEventStudy(
    designSums.map((sum) => sum.event_month),
    options.referenceMonth,
  );
  const normal = factorNormalEquations(design, designSums);

  const outcomeSums = groupByOutcome(
    await db.query<ArmMonthSum & { outcome: string }>(
      'estimate: read did_outcome_sums',
      'select outcome, treated::integer as treated, event_month, within_sum as value from did_outcome_sums order by all',
    ),
  );
  const coefficients = new Map(outcomes.map((outcome) => [outcome, fitCoefficients(normal, outcomeSums.get(outcome) ?? [])]));
  await db.runFile('estimate/12_store_did_coefficients.sql', coefficientLists(design, coefficients));

  await db.runFile('estimate/13_sum_did_score_products.sql');
  const scoreProducts = groupByOutcome(
    await db.query<ArmMonthPairSum & { outcome: string }>(
      'estimate: read did_score_products',
      `select outcome, treated::integer as treated, event_month, other_event_month, score_product as value
       from did_score_products order by all`,
    ),
  );
  const summaries = outcomes.map((outcome) => {
    const covariance = clusterRobustCovariance(normal, scoreProducts.get(outcome) ?? [], sample);
    return { outcome, summary: summariseEventStudy(design, coefficients.get(outcome)!, covariance, sample) };
  });

  await db.runFile('estimate/14_write_did_effects.sql', {
    z_975: NORMAL_QUANTILE_975,
    ...effectLists(summaries),
    reference_month: design.referenceMonth,
    persons: sample.persons,
    person_months: sample.personMonths,
    slope_coefficients: slopeCoefficientCount(design),
  });
  await db.runFile('estimate/15_write_pretrend_tests.sql', {
    ...pretrendLists(summaries),
    restrictions: summaries[0]!.summary.pretrend.restrictions,
    reference_month: design.referenceMonth,
    persons: sample.persons,
  });
}

/** Steps 04-11: the panel reduced to X'WX, X'Wy and the coefficient-free part of the meat. */
async function sumPanelWithinPersons(
  db: Database,
  outcomes: Outcome[],
  layout: NonNullable<EventStudyDidOptions['layout']>,
): Promise<void> {
  await db.runFile('estimate/04_select_did_persons.sql', {
    persons_per_score_block: layout.personsPerScoreBlock ?? DEFAULT_PERSONS_PER_SCORE_BLOCK,
    persons_per_batch: layout.personsPerBatch ?? DEFAULT_PERSONS_PER_BATCH,
  });
  await db.runFile('estimate/05_sum_did_design.sql');
  await db.runFile('estimate/06_create_did_batch_sums.sql');
  const batches = await countBatches(db);
  for (let batch = 0; batch < batches; batch++) {
    await db.runFile('estimate/07_collect_did_deviation_lists.sql', { outcome_pattern: columnPattern(outcomes), score_batch: batch });
    await db.runFile('estimate/08_sum_did_batch_products.sql', { score_batch: batch });
    await db.runFile('estimate/09_sum_did_batch_deviations.sql', { score_batch: batch });
  }
  await db.runFile('estimate/10_drop_did_deviation_lists.sql');
  await db.runFile('estimate/11_sum_did_outcomes.sql');
}

function checkOutcomes(outcomes: readonly string[]): Outcome[] {
  const unknown = outcomes.filter((outcome) => !(OUTCOMES as readonly string[]).includes(outcome));
  if (!outcomes.length || unknown.length || new Set(outcomes).size !== outcomes.length) {
    throw new Error(`event-study DiD: outcomes must be distinct names from ${OUTCOMES.join(', ')}; got [${outcomes.join(', ')}]`);
  }
  return [...outcomes] as Outcome[];
}

async function countBatches(db: Database): Promise<number> {
  const [row] = await db.query<{ batches: number }>(
    'estimate: count did batches',
    'select coalesce(max(score_batch) + 1, 0)::integer as batches from did_persons',
  );
  return row?.batches ?? 0;
}

async function readClusterSample(db: Database): Promise<ClusterSample> {
  const [row] = await db.query<ClusterSample>(
    'estimate: count did_persons',
    'select count(*)::double as persons, coalesce(sum(months_observed), 0)::double as personMonths from did_persons',
  );
  if (!row || row.persons < 2) fail({ code: 'did_not_identified', reason: 'fewer than two matched persons in the panel' });
  return row;
}

function groupByOutcome<Row extends { outcome: string }>(rows: Row[]): Map<string, Row[]> {
  const grouped = new Map<string, Row[]>();
  for (const row of rows) {
    const group = grouped.get(row.outcome);
    if (group) group.push(row);
    else grouped.set(row.outcome, [row]);
  }
  return grouped;
}

/** Parallel lists for did_coefficients: every slope month, and the reference month with zeros. */
function coefficientLists(design: EventStudyDesign, coefficients: Map<Outcome, Float64Array>) {
  const { slopeMonths, referenceMonth } = design;
  const months = slopeMonths.length;
  const lists = {
    outcome: [] as string[],
    event_month: [] as number[],
    month_effect: [] as number[],
    treated_month_effect: [] as number[],
  };
  for (const [outcome, fitted] of coefficients) {
    slopeMonths.forEach((month, index) => {
      lists.outcome.push(outcome);
      lists.event_month.push(month);
      lists.month_effect.push(fitted[index]!);
      lists.treated_month_effect.push(fitted[months + index]!);
    });
    lists.outcome.push(outcome);
    lists.event_month.push(referenceMonth);
    lists.month_effect.push(0);
    lists.treated_month_effect.push(0);
  }
  return lists;
}

/** The effects as parallel lists, one element per estimator x outcome x month: the event study's, then the pre-period mean's. */
function effectLists(summaries: { outcome: string; summary: EventStudySummary }[]) {
  const series = [
    ...summaries.map(({ outcome, summary }) => ({ estimator: 'did_event_study', outcome, ...summary })),
    ...summaries.map(({ outcome, summary }) => ({ estimator: 'did_pre_period_mean', outcome, ...summary.prePeriodMean })),
  ];
  return {
    estimator: series.flatMap(({ estimator, eventMonths }) => eventMonths.map(() => estimator)),
    outcome: series.flatMap(({ outcome, eventMonths }) => eventMonths.map(() => outcome)),
    event_month: series.flatMap(({ eventMonths }) => [...eventMonths]),
    estimate: series.flatMap(({ estimates }) => estimates),
    se: series.flatMap(({ standardErrors }) => standardErrors),
  };
}

function pretrendLists(summaries: { outcome: string; summary: EventStudySummary }[]) {
  return {
    outcome: summaries.map(({ outcome }) => outcome),
    chi_square: summaries.map(({ summary }) => summary.pretrend.chiSquare),
    chi_square_p_value: summaries.map(({ summary }) => summary.pretrend.chiSquarePValue),
    f_statistic: summaries.map(({ summary }) => summary.pretrend.fStatistic),
    f_p_value: summaries.map(({ summary }) => summary.pretrend.fPValue),
  };
}
