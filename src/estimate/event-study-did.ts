/**
 * Event-study difference-in-differences on a matched panel (DESIGN §3):
 * person and event-month fixed effects, treated x event-month effects
 * relative to a reference month, WLS with the matching weights, standard
 * errors clustered by person (CR1), and a pre-trend Wald test.
 *
 * One matched sample per call: the study's (matches), or a subgroup level's
 * (subgroup_matches), the same SQL filtered by subgroup and level; the
 * estimate stage calls it for the study and then for each level.
 *
 * No person dummies and no per-person work in JavaScript. Persons sharing a
 * pattern of observed months give X'WX (05). One pass over the panel (06)
 * turns it into weighted within-person deviations, stored in batch order;
 * batch by batch (07-09) they are kept as one list per outcome x block of
 * persons x event month; list sums and inner products give X'Wy (11) and the part of the
 * cluster meat that does not depend on the coefficients. Only the K x K
 * systems (K = 120 for months -24..36) are solved here, by the pure
 * functions in event-study-regression.ts; the coefficients go back to SQL
 * for the pattern-level rest of the meat (13), which never rereads the
 * panel. Every sum that leaves SQL is exact (DECIMAL) or added in a fixed
 * order, so the output is the same whatever the thread count or row order.
 *
 * Reads panel_person_month, observed_person_months, matches and
 * subgroup_matches; replaces did_effects with the sample's rows (the
 * columns of subgroup_effects, one row per outcome x estimator x event
 * month, the reference month with estimate 0 and null se/CI), which
 * 16_append_did_effects.sql adds to effects or subgroup_effects. The study
 * also gets pretrend_tests (two rows per outcome); a level does not (that
 * table and its export have no subgroup columns, and the F test's degrees
 * of freedom name the persons). The study's DiD must be identified; a
 * level's that is not gets its rows with null estimates and the reason in
 * `method`.
 * Working tables, all small: did_persons, did_design_sums,
 * did_batch_products, did_batch_deviations, did_outcome_sums,
 * did_coefficients, did_score_products; temporary: did_deviations (one row
 * per person-month of the sample) and did_deviation_lists.
 * SQL: sql/estimate/04_select_did_persons.sql .. 15_write_pretrend_tests.sql
 */
import { OUTCOMES, type Outcome } from '../config/outcomes.js';
import { DEFAULT_BATCH_PERSONS } from '../config/resources.js';
import { columnPattern, type Database } from '../db/database.js';
import { fail, PipelineFailure } from '../errors.js';
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

/** A matched sample: a subgroup level (subgroup_matches), or the study's (matches) with subgroup and level ''. */
export interface DidSample {
  subgroup: string;
  level: string;
}

export const STUDY_SAMPLE: DidSample = { subgroup: '', level: '' };

export interface EventStudyDidOptions {
  outcomes: readonly Outcome[];
  /** The pre-index month every effect is relative to (study config estimators.did.reference_month, -1 by default). */
  referenceMonth: number;
  /** Whose DiD: the study's (default) or a subgroup level's. */
  sample?: DidSample;
  /**
   * Tuning, not statistics. Persons per score list (default 4096) and per
   * batch (resources.batch_persons, default 32768; memory grows with batch x months x outcomes).
   * Output is identical across thread counts and batch sizes for a given
   * block size; another block size changes only the last bits.
   */
  layout?: { personsPerScoreBlock?: number; personsPerBatch?: number };
}

const DEFAULT_PERSONS_PER_SCORE_BLOCK = 4096;

interface FittedEventStudy {
  design: EventStudyDesign;
  summaries: { outcome: Outcome; summary: EventStudySummary }[];
}

export async function estimateEventStudyDid(db: Database, options: EventStudyDidOptions): Promise<void> {
  const outcomes = checkOutcomes(options.outcomes);
  const sample = options.sample ?? STUDY_SAMPLE;
  const isStudy = sample.subgroup === '';
  await sumPanelWithinPersons(db, outcomes, sample, options.layout ?? {});
  const clusters = await countClusterSample(db);
  const designSums = await db.query<ArmMonthPairSum>(
    'estimate: read did_design_sums',
    `select treated::integer as treated, event_month, other_event_month, cross_product as value
     from did_design_sums order by all`,
  );
  let fitted: FittedEventStudy;
  let notIdentified = '';
  try {
    fitted = await fitEventStudy(db, outcomes, options.referenceMonth, clusters, designSums);
  } catch (error) {
    // The study's DiD must be identified; a subgroup level's may not be (too few persons, a month without variation).
    if (isStudy || !(error instanceof PipelineFailure && error.error.code === 'did_not_identified')) throw error;
    notIdentified = error.error.reason;
    fitted = unestimated(outcomes, options.referenceMonth, designSums);
  }
  const { design, summaries } = fitted;

  await db.runFile('estimate/14_write_did_effects.sql', {
    subgroup: sample.subgroup,
    level: sample.level,
    not_identified: notIdentified,
    z_975: NORMAL_QUANTILE_975,
    ...effectLists(summaries),
    reference_month: design.referenceMonth,
    persons: clusters.persons,
    person_months: clusters.personMonths,
    slope_coefficients: slopeCoefficientCount(design),
  });
  if (!isStudy) return;
  await db.runFile('estimate/15_write_pretrend_tests.sql', {
    ...pretrendLists(summaries),
    restrictions: summaries[0]!.summary.pretrend.restrictions,
    reference_month: design.referenceMonth,
    persons: clusters.persons,
  });
}

/** Steps 12-13 and the K x K algebra; fails with did_not_identified when the sample cannot identify the effects. */
async function fitEventStudy(
  db: Database,
  outcomes: Outcome[],
  referenceMonth: number,
  clusters: ClusterSample,
  designSums: ArmMonthPairSum[],
): Promise<FittedEventStudy> {
  if (clusters.persons < 2) fail({ code: 'did_not_identified', reason: 'fewer than two matched persons in the panel' });
  const design = designEventStudy(
    designSums.map((sum) => sum.event_month),
    referenceMonth,
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
    const covariance = clusterRobustCovariance(normal, scoreProducts.get(outcome) ?? [], clusters);
    return { outcome, summary: summariseEventStudy(design, coefficients.get(outcome)!, covariance, clusters) };
  });
  return { design, summaries };
}

/** A sample whose DiD is not identified: every month its persons are observed in, with NaN for each estimate (null in SQL). */
function unestimated(outcomes: Outcome[], referenceMonth: number, designSums: readonly ArmMonthPairSum[]): FittedEventStudy {
  const months = [...new Set(designSums.map((sum) => sum.event_month))].sort((a, b) => a - b);
  const design = { referenceMonth, slopeMonths: months.filter((month) => month !== referenceMonth) };
  const missing = (count: number) => new Array<number>(count).fill(Number.NaN);
  const summary: EventStudySummary = {
    eventMonths: design.slopeMonths,
    estimates: missing(design.slopeMonths.length),
    standardErrors: missing(design.slopeMonths.length),
    prePeriodMean: { eventMonths: months, estimates: missing(months.length), standardErrors: missing(months.length) },
    pretrend: {
      restrictions: 0,
      chiSquare: Number.NaN,
      chiSquarePValue: Number.NaN,
      fStatistic: Number.NaN,
      fDenominatorDf: Number.NaN,
      fPValue: Number.NaN,
    },
  };
  return { design, summaries: outcomes.map((outcome) => ({ outcome, summary })) };
}

/** Steps 04-11: the panel reduced to X'WX, X'Wy and the coefficient-free part of the meat. */
async function sumPanelWithinPersons(
  db: Database,
  outcomes: Outcome[],
  sample: DidSample,
  layout: NonNullable<EventStudyDidOptions['layout']>,
): Promise<void> {
  await db.runFile('estimate/04_select_did_persons.sql', {
    subgroup: sample.subgroup,
    level: sample.level,
    persons_per_score_block: layout.personsPerScoreBlock ?? DEFAULT_PERSONS_PER_SCORE_BLOCK,
    persons_per_batch: layout.personsPerBatch ?? DEFAULT_BATCH_PERSONS,
  });
  await db.runFile('estimate/05_sum_did_design.sql');
  await db.runFile('estimate/06_create_did_batch_sums.sql', { outcome_pattern: columnPattern(outcomes) });
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

async function countClusterSample(db: Database): Promise<ClusterSample> {
  const [row] = await db.query<ClusterSample>(
    'estimate: count did_persons',
    'select count(*)::double as persons, coalesce(sum(months_observed), 0)::double as personMonths from did_persons',
  );
  return row ?? { persons: 0, personMonths: 0 };
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
