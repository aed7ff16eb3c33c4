/**
 * Event-study difference-in-differences on a matched panel (DESIGN §3):
 * person and event-month fixed effects, treated x event-month effects
 * relative to a reference month, WLS with the matching weights, standard
 * errors clustered by person (CR1), and a pre-trend Wald test.
 *
 * One matched sample, or several in one call: the study's (matches) and
 * subgroup levels' (subgroup_matches), the same SQL filtered by subgroup and
 * level; the estimate stage passes the study and then each level.
 *
 * A sample's persons and months come from bit masks (00, 04): each panel
 * person's observed months, made once per stage (maskObservedMonths),
 * intersected with the months its matched set or pairs are compared in, so
 * no sample joins the panel to find them; every sample's persons are kept
 * in did_sample_persons.
 * No person dummies. Persons sharing a pattern of observed months give
 * X'WX (05). One streamed pass over the panel for every sample (06, summed
 * by did-deviation-sums.ts) gives X'Wy (08) and the part of the cluster
 * meat that does not depend on the coefficients, holding one person and a
 * block of persons per sample and arm. Then each sample in turn: its
 * persons back in did_persons (05), and only the K x K
 * systems (K = 120 for months -24..36) are solved here, by the pure
 * functions in event-study-regression.ts, and the coefficients give the
 * pattern-level rest of the meat (did-score-products.ts), which never
 * rereads the panel. Every sum is added in a fixed order or exactly (DECIMAL), so the
 * output is the same whatever the thread count, memory limit, row order or
 * the other samples estimated in the same call.
 *
 * Reads panel_person_month, sample_weightings, matched_set_months,
 * match_pairs and subgroup_match_pairs; replaces did_effects with the sample's rows (the
 * columns of subgroup_effects, one row per outcome x estimator x event
 * month, the reference month with estimate 0 and null se/CI), which
 * the estimate stage adds to effects or subgroup_effects (13, 14). The study
 * also gets pretrend_tests (two rows per outcome); a level does not (that
 * table and its export have no subgroup columns, and the F test's degrees
 * of freedom name the persons). The study's DiD must be identified; a
 * level's that is not gets its rows with null estimates and the reason in
 * `method`.
 * Working tables, none of them persons x months: did_observed_months (one
 * row per panel person, kept for every sample), did_sample_persons (one row
 * per sample x person), did_sample_patterns, did_persons and did_patterns
 * (temporary: the sample at hand, dropped after the last), did_design_sums,
 * did_deviation_sums, did_outcome_sums.
 * SQL: sql/estimate/00_mask_observed_months.sql, 04_select_did_persons.sql .. 12_write_pretrend_tests.sql
 */
import { OUTCOMES, type Outcome } from '../config/outcomes.js';
import { columnPattern, type Database } from '../db/database.js';
import { fail, PipelineFailure } from '../errors.js';
import {
  type DeviationSample,
  type DeviationSums,
  readDeviationSample,
  sumSampleDeviations,
  writeDeviationSums,
} from './did-deviation-sums.js';
import { sumScoreProducts } from './did-score-products.js';
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
  /** The panel's observed months, from maskObservedMonths; made here when not given (a caller estimating several samples makes them once). */
  panelMonths?: PanelMonths;
  /**
   * Tuning, not statistics: persons per block of the streamed sums
   * (did-deviation-sums.ts). The output is identical across thread counts and
   * memory limits for a given block size; another block size changes only
   * the last bits.
   */
  personsPerBlock?: number;
  /** SQL work on another connection that runs while the DiD's stream is summed (StreamOptions.besideStream). */
  besideStream?: () => Promise<void>;
}

interface FittedEventStudy {
  design: EventStudyDesign;
  summaries: { outcome: Outcome; summary: EventStudySummary }[];
}

/** The panel's event months, first to last: the range of did_observed_months' masks. */
export interface PanelMonths {
  firstMonth: number;
  lastMonth: number;
}

/** The panel's first and last observed event months. Fails when the panel has no observed month. */
export async function readPanelMonths(db: Database): Promise<PanelMonths> {
  const [range] = await db.query<{ firstMonth: number | null; lastMonth: number | null }>(
    'estimate: panel months',
    'select min(event_month) as firstMonth, max(event_month) as lastMonth from panel_person_month where observed',
  );
  if (range?.firstMonth == null || range.lastMonth == null)
    fail({ code: 'did_not_identified', reason: 'no observed person-month in the panel' });
  return { firstMonth: range.firstMonth, lastMonth: range.lastMonth };
}

/**
 * Step 00 once for every sample: each panel person's observed months as a mask, and per outcome whether its within
 * deviations can be non-zero (did_observed_months). Fails when the panel has no observed month.
 */
export async function maskObservedMonths(db: Database): Promise<PanelMonths> {
  const panelMonths = await readPanelMonths(db);
  await db.runFile('estimate/00_mask_observed_months.sql', {
    first_month: panelMonths.firstMonth,
    last_month: panelMonths.lastMonth,
    outcome_pattern: columnPattern(OUTCOMES),
  });
  return panelMonths;
}

export async function estimateEventStudyDid(db: Database, options: EventStudyDidOptions): Promise<void> {
  const { sample = STUDY_SAMPLE, outcomes, ...rest } = options;
  await estimateEventStudyDids(db, [{ sample, outcomes }], rest);
}

/** One sample's DiD among several: whose, and for which outcomes. */
export interface DidSampleOutcomes {
  sample: DidSample;
  outcomes: readonly Outcome[];
}

/**
 * The DiD of several samples, in order, with one read of the panel for all
 * (06); `afterEach` runs after each sample's did_effects is written, before
 * the next one replaces it.
 */
export async function estimateEventStudyDids(
  db: Database,
  samples: readonly DidSampleOutcomes[],
  options: Omit<EventStudyDidOptions, 'outcomes' | 'sample'> & { afterEach?: (sample: DidSample) => Promise<void> },
): Promise<void> {
  const checked = samples.map(({ sample, outcomes }) => ({ sample, outcomes: checkOutcomes(outcomes) }));
  const panelMonths = options.panelMonths ?? (await maskObservedMonths(db));
  await db.run('estimate: drop did_sample_persons', 'drop table if exists did_sample_persons; drop table if exists did_sample_patterns');
  const deviationSamples: DeviationSample[] = [];
  for (const [sampleNumber, { sample, outcomes }] of checked.entries()) {
    await db.runFile('estimate/04_select_did_persons.sql', {
      subgroup: sample.subgroup,
      level: sample.level,
      first_month: panelMonths.firstMonth,
      last_month: panelMonths.lastMonth,
      outcome_pattern: columnPattern(outcomes),
    });
    await db.runFile('estimate/04_keep_did_sample_persons.sql', { sample_no: sampleNumber });
    deviationSamples.push(await readDeviationSample(db, outcomes));
  }
  const deviations = await sumSampleDeviations(db, deviationSamples, panelMonths, {
    personsPerBlock: options.personsPerBlock,
    besideStream: options.besideStream,
  });
  for (const [sampleNumber, { sample, outcomes }] of checked.entries()) {
    await db.runFile('estimate/05_restore_did_persons.sql', { sample_no: sampleNumber });
    await db.runFile('estimate/05_sum_did_design.sql');
    await writeDeviationSums(db, deviations[sampleNumber]!);
    await db.runFile('estimate/08_sum_did_outcomes.sql');
    await fitAndWriteSample(db, sample, outcomes, options.referenceMonth, deviations[sampleNumber]!);
    await options.afterEach?.(sample);
  }
  // temporary tables (04) stay in memory until dropped
  await db.run('estimate: drop did_persons', 'drop table if exists temp.main.did_persons; drop table if exists temp.main.did_patterns');
}

/** The fit and steps 11-12 for the sample in did_persons, whose sums (05-08, `deviations`) are in place. */
async function fitAndWriteSample(
  db: Database,
  sample: DidSample,
  outcomes: Outcome[],
  referenceMonth: number,
  deviations: DeviationSums,
): Promise<void> {
  const isStudy = sample.subgroup === '';
  const clusters = await countClusterSample(db);
  const designSums = await db.query<ArmMonthPairSum>(
    'estimate: read did_design_sums',
    `select treated::integer as treated, event_month, other_event_month, cross_product as value
     from did_design_sums order by all`,
  );
  let fitted: FittedEventStudy;
  let notIdentified = '';
  try {
    fitted = await fitEventStudy(db, outcomes, referenceMonth, clusters, designSums, deviations);
  } catch (error) {
    // The study's DiD must be identified; a subgroup level's may not be (too few persons, a month without variation).
    if (isStudy || !(error instanceof PipelineFailure && error.error.code === 'did_not_identified')) throw error;
    notIdentified = error.error.reason;
    fitted = unestimated(outcomes, referenceMonth, designSums);
  }
  const { design, summaries } = fitted;

  await db.runFile('estimate/11_write_did_effects.sql', {
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
  await db.runFile('estimate/12_write_pretrend_tests.sql', {
    ...pretrendLists(summaries),
    restrictions: summaries[0]!.summary.pretrend.restrictions,
    reference_month: design.referenceMonth,
    persons: clusters.persons,
  });
}

/** The K x K algebra and the cluster meat; fails with did_not_identified when the sample cannot identify the effects. */
async function fitEventStudy(
  db: Database,
  outcomes: Outcome[],
  referenceMonth: number,
  clusters: ClusterSample,
  designSums: ArmMonthPairSum[],
  deviations: DeviationSums,
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
  // WW_p, each pattern's sum of squared weights: each square rounded, the sum exact
  const weightSquares = new Float64Array(deviations.sample.patterns.length);
  const patternWeights = await db.query<{ pattern: number; value: number }>(
    'estimate: did pattern weights',
    'select pattern, sum((weight * weight)::decimal(38, 15))::double as value from did_persons group by pattern',
  );
  for (const { pattern, value } of patternWeights) weightSquares[pattern] = value;
  const scoreProducts = sumScoreProducts(deviations, weightSquares, design, coefficients);
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

function checkOutcomes(outcomes: readonly string[]): Outcome[] {
  const unknown = outcomes.filter((outcome) => !(OUTCOMES as readonly string[]).includes(outcome));
  if (!outcomes.length || unknown.length || new Set(outcomes).size !== outcomes.length) {
    throw new Error(`event-study DiD: outcomes must be distinct names from ${OUTCOMES.join(', ')}; got [${outcomes.join(', ')}]`);
  }
  return [...outcomes] as Outcome[];
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
