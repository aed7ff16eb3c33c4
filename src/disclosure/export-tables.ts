/**
 * The registry of export tables: one entry per aggregate table published
 * under export/, holding everything about it in one place: the SQL file
 * its rows come from (`sql/export/<name>.sql`, which writes
 * `export_<name>`), the published columns with their meaning and unit, the
 * disclosure rules and linked counts that guard them, and the study tables
 * and figures built from it. The disclosure stage, the codebook, the
 * Parquet and Arrow metadata and the study tables' views all read this list.
 * Person-level tables never appear here (see publish/restricted-tables.ts).
 */
import { BINARY_OUTCOMES, OUTCOMES, subgroupOutcomesFor } from '../config/outcomes.js';
import type { StudyConfig } from '../config/study-config.js';
import { EXTRACTS } from '../contracts/extracts.js';
import type { SqlParams } from '../db/database.js';
import { NORMAL_QUANTILE_975 } from '../estimate/estimators.js';
import {
  complementaryPartRule,
  type DisclosureRule,
  differenceRule,
  type LinkedCount,
  minPersonsRule,
  type SuppressionRule,
  seriesRule,
} from './disclosure-control.js';

/** What a column holds: its meaning, and the unit of its values where it has one. */
export interface ColumnDefinition {
  description: string;
  /** persons, rows, share (0..1), months, EUR, hours, ...; 'as outcome' where it follows the row's outcome. */
  unit?: string;
}

/** The settings the rules are built from. */
export interface RuleSettings {
  threshold: number;
  dominance: StudyConfig['disclosure']['dominance'];
}

export interface ExportTable {
  /** The file is export/<name>.parquet. */
  name: string;
  /** Its SQL file under sql/ (a path elsewhere works too), which writes the undisclosed rows to `export_<name>`. */
  source: string;
  description: string;
  /** The published columns, in order. The source's other columns only feed the rules. */
  columns: Readonly<Record<string, ColumnDefinition>>;
  orderBy: string;
  /** Also written as `<name>.arrow` (Arrow IPC file), beside the Parquet. */
  arrow?: boolean;
  /** `$named` values for its SQL. */
  params?: (study: StudyConfig) => SqlParams;
  links?: readonly LinkedCount[];
  rules: (settings: RuleSettings) => DisclosureRule[];
  /** The study tables (report/study-tables.ts) and report figures built from this table. */
  usedBy: readonly string[];
}

const column = (description: string, unit?: string): ColumnDefinition => (unit ? { description, unit } : { description });
const PERSON_COUNT = 'persons (null when suppressed by disclosure control)';
const persons = (description: string) => column(description, 'persons');
const ARM_PARAMS = (study: StudyConfig) => ({ treated_arm: study.arms.treated });

/** The columns effects and subgroup_effects share after `estimate`. */
const ESTIMATE_COLUMNS = {
  se: column('standard error of the estimate', 'as estimate'),
  ci_low: column('lower bound of the 95% confidence interval', 'as estimate'),
  ci_high: column('upper bound of the 95% confidence interval', 'as estimate'),
  n_treated: persons(`treated ${PERSON_COUNT} in the estimate`),
  n_control: persons(`control ${PERSON_COUNT} in the estimate`),
  method: column('the estimator in words'),
  ci_method: column('how the standard error and interval were computed'),
  se_conditional: column(
    'exact matching only: the standard error for the sample ATT conditional on the strata (the treated persons held fixed); ' +
      'a secondary, narrower interval than se, which also counts the sampling of the treated',
    'as estimate',
  ),
  estimand: column('what the estimate and its interval target'),
};

/** A mean of euros where a few persons make up most of the total reveals their amounts. */
function dominanceRule(
  { max_share: maxShare, top_persons: topPersons }: RuleSettings['dominance'],
  suppress: readonly string[],
): SuppressionRule {
  return {
    id: 'dominance:money_mean',
    description: `the ${topPersons} largest persons hold more than ${maxShare} of a money total: suppress ${suppress.join(', ')}`,
    when: `coalesce(top_share, 0) > ${maxShare}`,
    suppress: [...suppress],
  };
}

/** Both arms' counts of a month's estimate, beside the sample's sizes sample_treated and sample_control. */
function estimateLinks(sample: LinkedCount['sample']): LinkedCount[] {
  return (['treated', 'control'] as const).map((arm) => ({ column: `n_${arm}`, sample, arm, perMonth: { sizeColumn: `sample_${arm}` } }));
}

const ESTIMATE_CELLS = ['estimate', 'se', 'ci_low', 'ci_high', 'se_conditional'];

/** Tables of the cost analysis: every row rests on the matched sample's persons per arm. */
const MATCHED_ARM_LINKS: LinkedCount[] = [
  { column: 'n_treated', sample: 'matched', arm: 'treated' },
  { column: 'n_control', sample: 'matched', arm: 'control' },
];

function matchedArmRules(threshold: number, columns: string[]): DisclosureRule[] {
  return [minPersonsRule(threshold, 'n_treated', columns), minPersonsRule(threshold, 'n_control', columns)];
}

export const EXPORT_TABLES: readonly ExportTable[] = [
  {
    name: 'attrition',
    source: 'export/attrition.sql',
    description:
      "Step-by-step counts from the delivered rows to the matched cohort; the first row equals the sum of the deliveries' row counts, " +
      'the third drops the versions that later deliveries superseded. ' +
      'A step whose drop from the published steps around it is below the disclosure threshold is suppressed (its drop counts with the next step).',
    columns: {
      step_no: column('step number, in order'),
      step_key: column("stable name of the step (e.g. 'coverage', 'present_at_index', 'matched'); labels may change, keys do not"),
      step: column('what the step keeps'),
      unit: column("'rows' (input rows) or 'persons'"),
      n: column(`rows or ${PERSON_COUNT} after the step`, 'as unit'),
      n_treated: persons(`treated ${PERSON_COUNT} (from the step that assigns arms)`),
      n_control: persons(`control ${PERSON_COUNT}`),
      sample: column("'cohort' on the step that is the study cohort, 'matched' on the matched step; null otherwise"),
    },
    orderBy: 'step_no',
    links: [
      { column: 'n_treated', sample: { column: 'sample' }, arm: 'treated' },
      { column: 'n_control', sample: { column: 'sample' }, arm: 'control' },
      { column: 'n', sample: { column: 'register' }, arm: 'all' },
    ],
    // n = n_treated + n_control: a small arm hides the row's other counts too.
    // A step whose drop from its neighbours is small is left out (sql/disclosure/02).
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'n', ['n_treated', 'n_control']),
      minPersonsRule(threshold, 'n_treated', ['n', 'n_control']),
      minPersonsRule(threshold, 'n_control', ['n', 'n_treated']),
      {
        id: 'difference:attrition_step',
        description: `a step whose drop from the last published step, or to the next one, is between 1 and ${threshold - 1} persons in an arm: suppress n, n_treated, n_control`,
        when: 'is_merged',
        suppress: ['n', 'n_treated', 'n_control'],
      },
    ],
    usedBy: ['attrition'],
  },
  {
    name: 'linkage',
    source: 'export/linkage.sql',
    description: 'Per extract: how its rows link to persons, how many later deliveries superseded, and the calendar months it covers.',
    columns: {
      extract: column(`the extract: ${EXTRACTS.map(({ name }) => name).join(', ')} (an optional one only when delivered)`),
      rows_read: column('data rows read from the delivered files, over all deliveries', 'rows'),
      rows_accepted: column('rows that passed validation', 'rows'),
      rows_rejected: column('rows in the rejects ledger (rows_read = rows_accepted + rows_rejected)', 'rows'),
      rows_superseded: column(
        "accepted rows no longer in force: replaced by a later delivery's version of their key, equal to the version in force, older than it, or left out of a full file",
        'rows',
      ),
      rows_in_force: column('rows the study uses (rows_read = rows_rejected + rows_superseded + rows_in_force)', 'rows'),
      persons: persons(`distinct ${PERSON_COUNT} among the rows in force`),
      linked_rows: column('rows in force whose person is in persons', 'rows'),
      orphan_rows: column(
        'rows in force whose person_id is not in persons (kept: a later delivery may bring the person; the cohort never uses them)',
        'rows',
      ),
      duplicate_key_rows: column('rows rejected because their key repeats an earlier row of the same delivery', 'rows'),
      coverage_from: column('first calendar month (YYYY-MM) the extract covers; null for persons'),
      coverage_to: column('last calendar month covered (never past the last month complete at an extract date)'),
      coverage_gap_months: column('months between coverage_from and coverage_to that no delivered file covers', 'months'),
      coverage_source: column("'delivery.json' (stated by the sender), 'data' (first to last month with rows) or both"),
    },
    orderBy: 'extract',
    links: [{ column: 'persons', sample: { column: 'register' }, arm: 'all' }],
    rules: ({ threshold }) => [minPersonsRule(threshold, 'persons')],
    usedBy: ['linkage'],
  },
  {
    name: 'balance',
    source: 'export/balance.sql',
    description: 'Covariate balance before and after matching, per covariate and (categorical) level.',
    columns: {
      covariate: column('baseline covariate'),
      level: column("level of a categorical covariate (dummy-coded, every level); '' for a numeric one"),
      is_binary: column('true for 0/1 variables (levels), whose variance ratio is not reported'),
      mean_treated_before: column('treated mean (share for a level) before matching', 'as covariate'),
      mean_control_before: column('control mean before matching', 'as covariate'),
      smd_before: column('standardised mean difference before matching (denominator: see smd_denominator)', 'SD'),
      variance_ratio_before: column('treated variance / control variance before matching (null for binary)', 'ratio'),
      ecdf_max_before: column("largest difference between the arms' empirical CDFs before matching", 'share'),
      mean_treated_after: column('treated mean after matching (matching weights)', 'as covariate'),
      mean_control_after: column('control mean after matching (matching weights)', 'as covariate'),
      smd_after: column('standardised mean difference after matching', 'SD'),
      variance_ratio_after: column('variance ratio after matching (weighted, MatchIt bias correction)', 'ratio'),
      ecdf_max_after: column('largest difference between the weighted empirical CDFs after matching', 'share'),
      persons_treated_before: persons(`treated ${PERSON_COUNT} (at the level, for a categorical covariate) before matching`),
      persons_control_before: persons(`control ${PERSON_COUNT} before matching`),
      persons_treated_after: persons(`treated ${PERSON_COUNT} after matching`),
      persons_control_after: persons(`control ${PERSON_COUNT} after matching`),
      smd_denominator: column('the SD the SMDs are divided by'),
    },
    orderBy: 'covariate, level',
    links: (['before', 'after'] as const).flatMap((sample) =>
      (['treated', 'control'] as const).map((arm) => ({
        column: `persons_${arm}_${sample}`,
        sample: sample === 'before' ? 'cohort' : 'matched',
        arm,
        level: { column: 'covariate_level' },
      })),
    ),
    // Not protected: a level's persons before minus after (its unmatched persons). Hiding those would take
    // the shares and SMDs after matching of most levels with them; disclosure.json says so.
    rules: ({ threshold }) =>
      (['before', 'after'] as const).flatMap((sample) =>
        (['treated', 'control'] as const).flatMap((arm) => {
          const derived = [`mean_${arm}_${sample}`, `smd_${sample}`, `variance_ratio_${sample}`, `ecdf_max_${sample}`];
          return [
            minPersonsRule(threshold, `persons_${arm}_${sample}`, derived),
            complementaryPartRule(threshold, `persons_${arm}_${sample}`, ['covariate'], "level <> ''", derived),
          ];
        }),
      ),
    usedBy: ['table1_baseline', 'figure:love_plot'],
  },
  {
    name: 'ps_model',
    source: 'export/ps_model.sql',
    description: 'The propensity-score model (logistic regression of treatment on the PS covariates); empty for exact matching.',
    columns: {
      term: column("design-matrix column: '(Intercept)', a numeric covariate, or covariate=level for a dummy"),
      coefficient: column('log-odds coefficient', 'log-odds'),
      caliper_logit: column(
        'the caliper in logit units (caliper_sd_logit x SD of the logit PS over all units); null without a caliper',
        'logit',
      ),
    },
    orderBy: 'term',
    rules: () => [],
    usedBy: [],
  },
  {
    name: 'effects',
    source: 'export/effects.sql',
    description: 'Effect of the treated programme per outcome, estimator and event month; the same rows as effects.arrow.',
    columns: {
      outcome: column(OUTCOMES.join(', ')),
      estimator: column(
        'matched_att (matched difference in means), did_event_study (event-study DiD, relative to estimators.did.reference_month, -1 by default), ' +
          'did_pre_period_mean (the same DiD relative to the mean of the pre-index months: a sensitivity analysis) or unadjusted (raw difference, biased by selection)',
      ),
      event_month: column('months since the index month (0 = month of the first trajectory start)', 'months'),
      estimate: column(
        'effect: difference in share (binary outcomes) or mean (hours, euros), treated minus control, among the persons observed in that month ' +
          '(matched_att: matching weights taken up per month within matched sets; n_treated, n_control say how many)',
        'as outcome',
      ),
      ...ESTIMATE_COLUMNS,
    },
    orderBy: 'outcome, estimator, event_month',
    arrow: true,
    // The DiD is estimated on the matched persons' months in the estimate.
    links: estimateLinks({ column: 'sample' }),
    // Money effects are differences of means: dominated in either arm, they are suppressed.
    rules: ({ threshold, dominance }) => [
      minPersonsRule(threshold, 'n_treated', ESTIMATE_CELLS),
      minPersonsRule(threshold, 'n_control', ESTIMATE_CELLS),
      dominanceRule(dominance, ESTIMATE_CELLS),
    ],
    usedBy: ['table2_effects', 'figure:effects', 'figure:subgroup_forest'],
  },
  {
    name: 'subgroups',
    source: 'export/subgroups.sql',
    description: 'Subgroup analyses (study config `subgroups`): one row per level, with its persons, matched persons and balance.',
    columns: {
      subgroup: column('target_group, funder or provider'),
      level: column("the subgroup's level among the treated (e.g. SMI; a provider pseudonym)"),
      controls: column(
        "'same level' (both arms restricted to the level, matched on their own) or 'all controls' (a provider's participants against every control)",
      ),
      persons_treated: persons(`treated cohort ${PERSON_COUNT} at the level`),
      persons_control: persons(`control cohort ${PERSON_COUNT} the level is matched against`),
      matched_treated: persons(`treated ${PERSON_COUNT} with a matching weight above 0; null when not estimated`),
      matched_control: persons(`control ${PERSON_COUNT} with a matching weight above 0`),
      max_abs_smd_after: column('largest |SMD| over the balance covariates after matching within the level', 'SD'),
      worst_covariate: column('the covariate (level) with that SMD'),
      status: column(
        "the level's outcome: 'estimated'; 'no_controls' (no control persons at the level); 'no_treated_matched' (no treated person found " +
          "a control in its exact cell or within the caliper); or the PS model failed at the level: 'ps_rank_deficient' (a PS covariate is " +
          "a linear combination of others), 'ps_separation' (a PS covariate separates the arms), 'ps_not_converged'",
      ),
      status_detail: column(
        "more on the status, in words; null when there is nothing to add: for 'estimated', the covariates constant at the level " +
          '(dropped from matching); for a PS model failure, the covariate at fault',
      ),
    },
    orderBy: 'subgroup, level',
    links: [
      { column: 'persons_treated', sample: 'cohort', arm: 'treated', level: { column: 'level_key' } },
      // A provider's controls are the whole cohort's.
      { column: 'persons_control', sample: 'cohort', arm: 'control', level: { column: 'control_level_key' } },
      { column: 'matched_treated', sample: { column: 'matched_sample' }, arm: 'treated' },
      { column: 'matched_control', sample: { column: 'matched_sample' }, arm: 'control' },
    ],
    // The levels of a subgroup add up to the cohort's treated persons (and controls, when matched within level).
    rules: ({ threshold }) => [
      ...['persons_treated', 'persons_control', 'matched_treated', 'matched_control'].map((count) => minPersonsRule(threshold, count)),
      differenceRule(threshold, 'persons_treated', 'matched_treated'),
      differenceRule(threshold, 'persons_control', 'matched_control'),
      complementaryPartRule(threshold, 'persons_treated', ['subgroup'], 'true'),
      complementaryPartRule(threshold, 'persons_control', ['subgroup'], "controls = 'same level'"),
    ],
    usedBy: ['table4_subgroups'],
  },
  {
    name: 'subgroup_effects',
    source: 'export/subgroup_effects.sql',
    description:
      'Per subgroup level (status estimated in subgroups), on its own matched sample: the matched ATT and the event-study DiD ' +
      'with its sensitivity estimator, for the primary outcomes; columns as in effects.',
    columns: {
      subgroup: column('as in subgroups'),
      level: column('as in subgroups'),
      outcome: column(subgroupOutcomesFor('matched_att').join(' or ')),
      estimator: column(
        'matched_att (matched within the level as in subgroups.controls), did_event_study (event-study DiD on the same matched persons, ' +
          'relative to estimators.did.reference_month, -1 by default; ci_method names no count of persons) or did_pre_period_mean ' +
          '(the same DiD relative to the mean of the pre-index months: a sensitivity analysis); a level whose DiD is not identified ' +
          'has its DiD rows with null estimates, and method says why',
      ),
      event_month: column('months since the index month', 'months'),
      estimate: column(
        'difference in share, treated minus control, among the persons observed in that month (the DiD: in the change since its reference)',
        'share',
      ),
      ...ESTIMATE_COLUMNS,
    },
    orderBy: 'subgroup, level, outcome, estimator, event_month',
    // Every estimator's n_treated / n_control are the level's matched persons observed in the month.
    links: estimateLinks({ column: 'matched_sample' }),
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'n_treated', ESTIMATE_CELLS),
      minPersonsRule(threshold, 'n_control', ESTIMATE_CELLS),
    ],
    usedBy: ['table4_subgroups', 'figure:subgroup_forest'],
  },
  {
    name: 'pretrend_tests',
    source: 'export/pretrend_tests.sql',
    description: 'Joint test that the event-study DiD effects before the index month (all but the reference month) are zero.',
    columns: {
      outcome: column('outcome'),
      statistic: column('Wald chi-square, or its F form'),
      df: column('number of restrictions (pre-index months tested)'),
      p_value: column('p-value of the test', 'probability'),
      test: column('which test and covariance'),
    },
    orderBy: 'outcome, test',
    rules: () => [],
    usedBy: [],
  },
  {
    name: 'costs',
    source: 'export/costs.sql',
    description:
      'Costs, cost-effectiveness and return on investment per perspective (payer: benefits; societal: intervention + benefits + healthcare), IPS minus TVR per treated person, discounted and in one price year, with bootstrap CIs.',
    columns: {
      perspective: column("'payer', 'societal', or 'both' for the parts and the undiscounted effect"),
      measure: column('what is measured (see label and unit)'),
      label: column('the measure in words, as in table 3'),
      estimate: column('point estimate (null: not estimable, see note)', 'as unit'),
      ci_low: column('lower bound of the 95% percentile bootstrap interval', 'as unit'),
      ci_high: column('upper bound of the 95% percentile bootstrap interval', 'as unit'),
      replicates: column('bootstrap replicates with a finite value'),
      unit: column('unit of estimate and interval'),
      n_treated: persons(`treated ${PERSON_COUNT}`),
      n_control: persons(`control ${PERSON_COUNT}`),
      effect: column('the effect the ICER is expressed per'),
      ci_method: column('how the interval was computed: replicates, seed, resampled units'),
      basis: column('price year, discounting and the source of healthcare costs behind the row'),
      note: column('why a measure has no estimate (an ICER while the 95% CI of the effect includes 0); null otherwise'),
    },
    orderBy: 'perspective, measure',
    links: MATCHED_ARM_LINKS,
    rules: ({ threshold }) => matchedArmRules(threshold, ['estimate', 'ci_low', 'ci_high']),
    usedBy: ['table3_costs'],
  },
  {
    name: 'cost_plane',
    source: 'export/cost_plane.sql',
    description:
      'The cost-effectiveness plane: incremental effect and cost of each bootstrap replicate per perspective (as in costs), rounded.',
    columns: {
      perspective: column("'payer' or 'societal'"),
      replicate: column('bootstrap replicate, 1..R'),
      incremental_effect: column('incremental effect, discounted, rounded to 1e-4', 'persons in work per treated person'),
      incremental_cost_eur: column('incremental cost, rounded to whole euros', 'euros per treated person'),
      quadrant: column('north_east (more effective, more costly), south_east (dominant), south_west, north_west (dominated)'),
      n_treated: persons(`treated ${PERSON_COUNT}`),
      n_control: persons(`control ${PERSON_COUNT}`),
    },
    orderBy: 'perspective, replicate',
    links: MATCHED_ARM_LINKS,
    rules: ({ threshold }) => matchedArmRules(threshold, ['incremental_effect', 'incremental_cost_eur', 'quadrant']),
    usedBy: ['figure:cost_plane'],
  },
  {
    name: 'cost_acceptability',
    source: 'export/cost_acceptability.sql',
    description:
      'Net monetary benefit (willingness to pay x incremental effect - incremental cost) and the cost-effectiveness acceptability curve, per perspective and willingness to pay per extra person in work.',
    columns: {
      perspective: column("'payer' or 'societal'"),
      willingness_to_pay_eur: column('willingness to pay per extra person in work', 'euros'),
      nmb_eur: column('net monetary benefit', 'euros per treated person'),
      ci_low: column('lower bound of the 95% percentile bootstrap interval of the NMB', 'euros per treated person'),
      ci_high: column('upper bound of the 95% percentile bootstrap interval of the NMB', 'euros per treated person'),
      probability_cost_effective: column('share of bootstrap replicates with a positive NMB (the acceptability curve)', 'probability'),
      n_treated: persons(`treated ${PERSON_COUNT}`),
      n_control: persons(`control ${PERSON_COUNT}`),
    },
    orderBy: 'perspective, willingness_to_pay_eur',
    links: MATCHED_ARM_LINKS,
    rules: ({ threshold }) => matchedArmRules(threshold, ['nmb_eur', 'ci_low', 'ci_high', 'probability_cost_effective']),
    usedBy: ['table3_costs', 'figure:cost_acceptability'],
  },
  {
    name: 'monitoring',
    source: 'export/monitoring.sql',
    description:
      'Programme monitoring: of the persons in an active trajectory of the treated programme at the end of a quarter, how many are at work, per provider.',
    columns: {
      quarter: column('calendar quarter, e.g. 2015-Q3'),
      provider_id: column("provider pseudonym, or 'all' for the programme as a whole (each person once)"),
      persons_active: persons(`${PERSON_COUNT} in an active trajectory on the last day of the quarter`),
      persons_at_work: persons(`of those, ${PERSON_COUNT} with competitive work in the quarter's last month`),
      share_at_work: column('persons_at_work / persons_active (null when suppressed)', 'share'),
    },
    orderBy: 'quarter, provider_id',
    // The providers of a quarter add up to its 'all' row (or more, for a person active at two providers).
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'persons_active', ['persons_at_work', 'share_at_work']),
      minPersonsRule(threshold, 'persons_at_work', ['share_at_work']),
      {
        id: 'min_persons:not_at_work',
        description: `fewer than ${threshold} persons not at work: suppress persons_at_work, share_at_work`,
        when: `persons_active - persons_at_work < ${threshold}`,
        suppress: ['persons_at_work', 'share_at_work'],
      },
      complementaryPartRule(threshold, 'persons_active', ['quarter'], "provider_id <> 'all'", ['persons_at_work', 'share_at_work']),
      complementaryPartRule(threshold, 'persons_at_work', ['quarter'], "provider_id <> 'all'", ['share_at_work']),
    ],
    usedBy: ['monitoring_at_work', 'figure:at_work'],
  },
  {
    name: 'ever_employed',
    source: 'export/ever_employed.sql',
    description:
      'Cumulative share ever in competitive work (>= 1 hour in a month) since the index month, per arm, among the persons observed in the month. ' +
      "A month whose count exceeds the last published month's by fewer persons than the disclosure threshold is suppressed.",
    columns: {
      weighting: column("'matched' (matching weights, matched persons) or 'unweighted' (whole cohort)"),
      arm: column('programme of the arm'),
      event_month: column('months since the index month', 'months'),
      persons: persons(`${PERSON_COUNT} of the arm observed in the month`),
      persons_ever_employed: persons(`${PERSON_COUNT} with competitive work in some month 1..event_month`),
      share_ever_employed: column('weighted share ever employed by event_month', 'share'),
    },
    orderBy: 'weighting, arm, event_month',
    params: ARM_PARAMS,
    links: [{ column: 'persons', sample: { column: 'sample' }, arm: { column: 'arm' }, perMonth: { sizeColumn: 'sample_persons' } }],
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'persons', ['persons_ever_employed', 'share_ever_employed']),
      minPersonsRule(threshold, 'persons_ever_employed', ['share_ever_employed']),
      seriesRule(threshold, 'persons_ever_employed', { group: ['weighting', 'arm'], order: 'event_month' }, ['share_ever_employed']),
      {
        id: 'min_persons:never_employed',
        description: `fewer than ${threshold} persons never employed: suppress persons_ever_employed, share_ever_employed`,
        when: `persons - persons_ever_employed < ${threshold}`,
        suppress: ['persons_ever_employed', 'share_ever_employed'],
      },
    ],
    usedBy: ['monitoring_ever_employed'],
  },
  {
    name: 'follow_up',
    source: 'export/follow_up.sql',
    description:
      'How many persons the estimates of a month rest on, and why the others are not observed, per sample, arm and report month ' +
      '(follow_up.report_months and the last follow-up month). ' +
      "The statuses of a month add up to the sample's size (attrition); every status that can occur has a row, zero or not; " +
      'crossed_over counts the controls who started the treated programme. ' +
      'A count differing from the last published one of its status by fewer persons than the disclosure threshold is suppressed, ' +
      "except the observed persons, which are effects' and curves' n.",
    columns: {
      sample: column("'cohort' (every cohort person, as the unadjusted estimates) or 'matched' (matching weight above 0)"),
      arm: column('programme of the arm'),
      event_month: column('months since the index month: a report month, or the last month of the follow-up', 'months'),
      status: column(
        "'observed' (in the month's estimate), 'without_comparator' (observed, but no person of the other arm of the matched set is), " +
          "censored from this or an earlier month by 'death', 'emigration', 'state_pension_age' or 'started_treated_programme' " +
          "(arms.censor_control_at_treatment), or 'crossed_over' (not a status: controls who started the treated programme by the month)",
      ),
      is_status: column('true for the statuses that partition the sample; false for crossed_over'),
      persons: persons(PERSON_COUNT),
    },
    orderBy: 'sample, arm, event_month, is_status desc, status',
    params: ARM_PARAMS,
    // The persons in the estimate are the n of that month in effects and curves.
    links: [
      { column: 'persons', sample: { column: 'observed_sample' }, arm: { column: 'arm' }, perMonth: { sizeColumn: 'sample_persons' } },
    ],
    // The sample's size (attrition) minus that n is every other status together, so it is published: not
    // protected are the persons leaving the estimate, all reasons together (disclosure.json says so). The
    // reasons are protected against each other: one hidden takes the smallest visible one with it, and each
    // reason's cumulative count is walked by month (from the last).
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'persons'),
      // Walked from the end of the follow-up, so the totals by then are kept and the months before thinned out.
      seriesRule(threshold, 'persons', {
        group: ['sample', 'arm', 'status'],
        order: 'event_month',
        backward: true,
        applies: "status <> 'observed'",
      }),
      complementaryPartRule(threshold, 'persons', ['sample', 'arm', 'event_month'], "is_status and status <> 'observed'"),
    ],
    usedBy: ['follow_up'],
  },
  {
    name: 'ps_distribution',
    source: 'export/ps_distribution.sql',
    description: 'Propensity scores per arm in bins of 0.05, before and after matching; empty for exact matching.',
    columns: {
      sample: column("'before' (all cohort persons) or 'after' (matched persons)"),
      arm: column('programme of the arm'),
      ps_from: column('lower edge of the bin', 'probability'),
      ps_to: column('upper edge of the bin', 'probability'),
      persons: persons(`${PERSON_COUNT} with a PS in the bin`),
    },
    orderBy: 'sample, arm, ps_from',
    // The bins add up to the arm's persons.
    rules: ({ threshold }) => [
      minPersonsRule(threshold, 'persons'),
      complementaryPartRule(threshold, 'persons', ['sample', 'arm'], 'true'),
    ],
    usedBy: ['figure:ps_distribution'],
  },
  {
    name: 'curves',
    source: 'export/curves.sql',
    description:
      'Mean outcome per arm and event month over the persons observed in that month, matched-weighted and unweighted, with 95% CI.',
    columns: {
      weighting: column(
        "'matched' (matching weights taken up per month within matched sets, matched persons) or 'unweighted' (whole cohort)",
      ),
      arm: column('programme of the arm'),
      outcome: column('outcome, as in effects'),
      event_month: column('months since the index month', 'months'),
      mean: column('weighted mean (share for binary outcomes); null when suppressed', 'as outcome'),
      ci_low: column('lower bound of the 95% CI of the mean', 'as outcome'),
      ci_high: column('upper bound of the 95% CI of the mean', 'as outcome'),
      persons: persons(`${PERSON_COUNT} in the mean`),
    },
    orderBy: 'weighting, outcome, arm, event_month',
    params: (study) => ({
      treated_arm: study.arms.treated,
      control_arm: study.arms.control,
      binary_outcomes: BINARY_OUTCOMES,
      z_975: NORMAL_QUANTILE_975,
    }),
    links: [{ column: 'persons', sample: { column: 'sample' }, arm: { column: 'arm' }, perMonth: { sizeColumn: 'sample_persons' } }],
    rules: ({ threshold, dominance }) => [
      minPersonsRule(threshold, 'persons', ['mean', 'ci_low', 'ci_high']),
      {
        id: 'min_persons:share',
        description: `a share with fewer than ${threshold} persons with or without the outcome: suppress mean, ci_low, ci_high`,
        when: `is_binary and least(persons_positive, persons - persons_positive) < ${threshold}`,
        suppress: ['mean', 'ci_low', 'ci_high'],
      },
      dominanceRule(dominance, ['mean', 'ci_low', 'ci_high']),
    ],
    usedBy: ['figure:curves'],
  },
];

export function exportTable(name: string): ExportTable {
  const table = EXPORT_TABLES.find((candidate) => candidate.name === name);
  if (!table) throw new Error(`no export table named ${name} in src/disclosure/export-tables.ts`);
  return table;
}
