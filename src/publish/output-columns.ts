import { OUTCOMES } from '../config/study-config.js';

/**
 * What every column of every output file means: the single source for
 * export/codebook.md and for the column descriptions stored in each Parquet
 * file's key-value metadata. A test checks these lists against the files a
 * run writes, so the codebook cannot drift from the data.
 */
export interface OutputFileDescription {
  file: string;
  area: 'export' | 'restricted';
  description: string;
  columns: Record<string, string>;
}

const PERSON_COUNT = 'persons (null when suppressed by disclosure control)';

/** The columns effects and subgroup_effects share after `estimate`. */
const ESTIMATE_COLUMNS = {
  se: 'standard error of the estimate',
  ci_low: 'lower bound of the 95% confidence interval',
  ci_high: 'upper bound of the 95% confidence interval',
  n_treated: `treated ${PERSON_COUNT} in the estimate`,
  n_control: `control ${PERSON_COUNT} in the estimate`,
  method: 'the estimator in words',
  ci_method: 'how the standard error and interval were computed',
};

export const OUTPUT_FILES: readonly OutputFileDescription[] = [
  {
    file: 'attrition.parquet',
    area: 'export',
    description:
      'Step-by-step counts from the delivered rows to the matched cohort; the first row equals the sum of the deliveries\' row counts, ' +
      'the third drops the versions that later deliveries superseded. ' +
      'A step whose drop from the published steps around it is below the disclosure threshold is suppressed (its drop counts with the next step).',
    columns: {
      step_no: 'step number, in order',
      step_key: "stable name of the step (e.g. 'coverage', 'present_at_index', 'matched'); labels may change, keys do not",
      step: 'what the step keeps',
      unit: "'rows' (input rows) or 'persons'",
      n: `rows or ${PERSON_COUNT} after the step`,
      n_treated: `treated ${PERSON_COUNT} (from the step that assigns arms)`,
      n_control: `control ${PERSON_COUNT}`,
      sample: "'cohort' on the step that is the study cohort, 'matched' on the matched step; null otherwise",
    },
  },
  {
    file: 'linkage.parquet',
    area: 'export',
    description: 'Per extract: how its rows link to persons, how many later deliveries superseded, and the calendar months it covers.',
    columns: {
      extract: 'persons, benefit_spells, employment_periods or trajectories',
      rows_read: 'data rows read from the delivered files, over all deliveries',
      rows_accepted: 'rows that passed validation',
      rows_rejected: 'rows in the rejects ledger (rows_read = rows_accepted + rows_rejected)',
      rows_superseded: 'accepted rows no longer in force: replaced by a later delivery\'s version of their key, equal to the version in force, older than it, or left out of a full file',
      rows_in_force: 'rows the study uses (rows_read = rows_rejected + rows_superseded + rows_in_force)',
      persons: `distinct ${PERSON_COUNT} among the rows in force`,
      linked_rows: 'rows in force whose person is in persons',
      orphan_rows: 'rows in force whose person_id is not in persons (kept: a later delivery may bring the person; the cohort never uses them)',
      duplicate_key_rows: 'rows rejected because their key repeats an earlier row of the same delivery',
      coverage_from: 'first calendar month (YYYY-MM) the extract covers; null for persons',
      coverage_to: 'last calendar month covered (never past the last month complete at an extract date)',
      coverage_gap_months: 'months between coverage_from and coverage_to that no delivered file covers',
      coverage_source: "'delivery.json' (stated by the sender), 'data' (first to last month with rows) or both",
    },
  },
  {
    file: 'balance.parquet',
    area: 'export',
    description: 'Covariate balance before and after matching, per covariate and (categorical) level.',
    columns: {
      covariate: 'baseline covariate',
      level: "level of a categorical covariate (dummy-coded, every level); '' for a numeric one",
      is_binary: 'true for 0/1 variables (levels), whose variance ratio is not reported',
      mean_treated_before: 'treated mean (share for a level) before matching',
      mean_control_before: 'control mean before matching',
      smd_before: 'standardised mean difference before matching (denominator: see smd_denominator)',
      variance_ratio_before: 'treated variance / control variance before matching (null for binary)',
      ecdf_max_before: 'largest difference between the arms\' empirical CDFs before matching',
      mean_treated_after: 'treated mean after matching (matching weights)',
      mean_control_after: 'control mean after matching (matching weights)',
      smd_after: 'standardised mean difference after matching',
      variance_ratio_after: 'variance ratio after matching (weighted, MatchIt bias correction)',
      ecdf_max_after: 'largest difference between the weighted empirical CDFs after matching',
      persons_treated_before: `treated ${PERSON_COUNT} (at the level, for a categorical covariate) before matching`,
      persons_control_before: `control ${PERSON_COUNT} before matching`,
      persons_treated_after: `treated ${PERSON_COUNT} after matching`,
      persons_control_after: `control ${PERSON_COUNT} after matching`,
      smd_denominator: 'the SD the SMDs are divided by',
    },
  },
  {
    file: 'ps_model.parquet',
    area: 'export',
    description: 'The propensity-score model (logistic regression of treatment on the PS covariates); empty for exact matching.',
    columns: {
      term: "design-matrix column: '(Intercept)', a numeric covariate, or covariate=level for a dummy",
      coefficient: 'log-odds coefficient',
      caliper_logit: 'the caliper in logit units (caliper_sd_logit x SD of the logit PS over all units); null without a caliper',
    },
  },
  {
    file: 'effects.parquet',
    area: 'export',
    description: 'Effect of the treated programme per outcome, estimator and event month; the same rows as effects.arrow.',
    columns: {
      outcome: OUTCOMES.join(', '),
      estimator: "matched_att (matched difference in means), did_event_study (event-study DiD, reference month -1) or unadjusted (raw difference, biased by selection)",
      event_month: 'months since the index month (0 = month of the first trajectory start)',
      estimate:
        'effect: difference in share (binary outcomes) or mean (hours, euros), treated minus control, among the persons observed in that month ' +
        '(matched_att: matching weights taken up per month within matched sets; n_treated, n_control say how many)',
      ...ESTIMATE_COLUMNS,
    },
  },
  {
    file: 'subgroups.parquet',
    area: 'export',
    description: 'Subgroup analyses (study config `subgroups`): one row per level, with its persons, matched persons and balance.',
    columns: {
      subgroup: 'target_group, funder or provider',
      level: "the subgroup's level among the treated (e.g. SMI; a provider pseudonym)",
      controls: "'same level' (both arms restricted to the level, matched on their own) or 'all controls' (a provider's participants against every control)",
      persons_treated: `treated cohort ${PERSON_COUNT} at the level`,
      persons_control: `control cohort ${PERSON_COUNT} the level is matched against`,
      matched_treated: `treated ${PERSON_COUNT} with a matching weight above 0; null when not estimated`,
      matched_control: `control ${PERSON_COUNT} with a matching weight above 0`,
      max_abs_smd_after: 'largest |SMD| over the balance covariates after matching within the level',
      worst_covariate: 'the covariate (level) with that SMD',
      status: "'estimated', with any covariate constant at the level (dropped from matching), or 'not estimated' and why",
    },
  },
  {
    file: 'subgroup_effects.parquet',
    area: 'export',
    description: 'Matched ATT per subgroup level, for employed_any and employed_48h; columns as in effects.',
    columns: {
      subgroup: 'as in subgroups',
      level: 'as in subgroups',
      outcome: 'employed_any or employed_48h',
      estimator: 'matched_att (matched within the level as in subgroups.controls)',
      event_month: 'months since the index month',
      estimate: 'difference in share, treated minus control',
      ...ESTIMATE_COLUMNS,
    },
  },
  {
    file: 'pretrend_tests.parquet',
    area: 'export',
    description: 'Joint test that the event-study DiD effects before the index month (all but the reference month) are zero.',
    columns: {
      outcome: 'outcome',
      statistic: 'Wald chi-square, or its F form',
      df: 'number of restrictions (pre-index months tested)',
      p_value: 'p-value of the test',
      test: 'which test and covariance',
    },
  },
  {
    file: 'costs.parquet',
    area: 'export',
    description: 'Cost differences, ICER and return on investment, treated minus control per treated person, with bootstrap CIs.',
    columns: {
      measure: 'what is measured (see unit)',
      estimate: 'point estimate',
      ci_low: 'lower bound of the 95% percentile bootstrap interval',
      ci_high: 'upper bound of the 95% percentile bootstrap interval',
      replicates: 'bootstrap replicates with a finite value',
      unit: 'unit of estimate and interval',
      n_treated: `treated ${PERSON_COUNT}`,
      n_control: `control ${PERSON_COUNT}`,
      effect: 'the effect the ICER is expressed per',
      ci_method: 'how the interval was computed',
    },
  },
  {
    file: 'curves.parquet',
    area: 'export',
    description: 'Mean outcome per arm and event month over the persons observed in that month, matched-weighted and unweighted, with 95% CI.',
    columns: {
      weighting: "'matched' (matching weights taken up per month within matched sets, matched persons) or 'unweighted' (whole cohort)",
      arm: 'programme of the arm',
      outcome: 'outcome, as in effects',
      event_month: 'months since the index month',
      mean: 'weighted mean (share for binary outcomes); null when suppressed',
      ci_low: 'lower bound of the 95% CI of the mean',
      ci_high: 'upper bound of the 95% CI of the mean',
      persons: `${PERSON_COUNT} in the mean`,
    },
  },
  {
    file: 'monitoring.parquet',
    area: 'export',
    description: 'Programme monitoring: of the persons in an active trajectory of the treated programme at the end of a quarter, how many are at work, per provider.',
    columns: {
      quarter: 'calendar quarter, e.g. 2015-Q3',
      provider_id: "provider pseudonym, or 'all' for the programme as a whole (each person once)",
      persons_active: `${PERSON_COUNT} in an active trajectory on the last day of the quarter`,
      persons_at_work: `of those, ${PERSON_COUNT} with competitive work in the quarter's last month`,
      share_at_work: 'persons_at_work / persons_active (null when suppressed)',
    },
  },
  {
    file: 'ever_employed.parquet',
    area: 'export',
    description:
      'Cumulative share ever in competitive work (>= 1 hour in a month) since the index month, per arm, among the persons observed in the month. ' +
      'A month whose count exceeds the last published month\'s by fewer persons than the disclosure threshold is suppressed.',
    columns: {
      weighting: "'matched' (matching weights, matched persons) or 'unweighted' (whole cohort)",
      arm: 'programme of the arm',
      event_month: 'months since the index month',
      persons: `${PERSON_COUNT} of the arm observed in the month`,
      persons_ever_employed: `${PERSON_COUNT} with competitive work in some month 1..event_month`,
      share_ever_employed: 'weighted share ever employed by event_month',
    },
  },
  {
    file: 'follow_up.parquet',
    area: 'export',
    description:
      'How many persons the estimates of a month rest on, and why the others are not observed, per sample, arm and report month ' +
      '(follow_up.report_months and the last follow-up month). ' +
      'The statuses of a month add up to the sample\'s size (attrition); every status that can occur has a row, zero or not; ' +
      'crossed_over counts the controls who started the treated programme. ' +
      'A count differing from the last published one of its status by fewer persons than the disclosure threshold is suppressed, ' +
      'except the observed persons, which are effects\' and curves\' n.',
    columns: {
      sample: "'cohort' (every cohort person, as the unadjusted estimates) or 'matched' (matching weight above 0)",
      arm: 'programme of the arm',
      event_month: 'months since the index month: a report month, or the last month of the follow-up',
      status:
        "'observed' (in the month's estimate), 'without_comparator' (observed, but no person of the other arm of the matched set is), " +
        "censored from this or an earlier month by 'death', 'emigration', 'state_pension_age' or 'started_treated_programme' " +
        "(arms.censor_control_at_treatment), or 'crossed_over' (not a status: controls who started the treated programme by the month)",
      is_status: 'true for the statuses that partition the sample; false for crossed_over',
      persons: PERSON_COUNT,
    },
  },
  {
    file: 'ps_distribution.parquet',
    area: 'export',
    description: 'Propensity scores per arm in bins of 0.05, before and after matching; empty for exact matching.',
    columns: {
      sample: "'before' (all cohort persons) or 'after' (matched persons)",
      arm: 'programme of the arm',
      ps_from: 'lower edge of the bin',
      ps_to: 'upper edge of the bin',
      persons: `${PERSON_COUNT} with a PS in the bin`,
    },
  },
  {
    file: 'cohort.parquet',
    area: 'restricted',
    description: 'One row per person in the study cohort: arm, index date and baseline covariates.',
    columns: {
      person_id: 'pseudonym',
      arm: 'programme of the first trajectory',
      treated: '1 for the treated programme, 0 for the control',
      index_date: 'start of the first trajectory',
      index_month: 'first day of the index month (event month 0)',
      index_year: 'year of the index date',
      age_at_index: 'index year minus birth year',
      sex: 'M, F or X',
      region: "labour-market region ('unknown' when missing)",
      benefit_type: 'type of the qualifying benefit spell ongoing at the index date',
      benefit_duration_months:
        'whole months from the start of its benefit episode (qualifying spells at most population.episode_gap_days apart) to the index date',
      incapacity_cause: "incapacity cause of that spell ('unknown' when missing)",
      target_group: "SMI or CMD ('unknown' when missing)",
      funder: 'UWV or MUNICIPALITY',
      provider_id: 'provider pseudonym',
      trajectory_cost_eur: 'cost_eur of the first trajectory (null when missing)',
      months_worked_12m: 'calendar months with >= 1 competitive hour among the 12 before the index month',
      months_worked_24m: 'the same over the 24 months before',
      wage_eur_12m: 'competitive wages in the 12 months before the index month',
      wage_eur_24m: 'competitive wages in the 24 months before',
      age_band: 'age at index, coarsened (study config bands)',
      benefit_duration_band: 'benefit duration, coarsened',
      prior_work_band: 'months worked in the 12 months before, coarsened',
      crossover_event_month: 'for a control: the event month it started the treated programme (null: never, in the data)',
      censoring_event_month: 'first follow-up month not observed (null: observed through the follow-up)',
      censoring_reason: "why: 'death', 'emigration', 'state_pension_age' or 'started_treated_programme' (on the same month, in that order)",
    },
  },
  {
    file: 'panel',
    area: 'restricted',
    description: 'Person x event-month outcomes, Parquet files hive-partitioned by event_month.',
    columns: {
      person_id: 'pseudonym',
      event_month: 'months since the index month (the partition key)',
      calendar_month: 'first day of the calendar month',
      observed:
        'the month lies inside the coverage of the employment and benefit extracts and before death, emigration, state-pension age ' +
        '(and a control\'s start of the treated programme, when censored); every outcome is null when false',
      employed_any: '>= 1 competitive hour in the month (SHELTERED and INTERN jobs excluded), decided on the exact hours',
      employed_48h: '>= 48 competitive hours in the month, decided on the exact hours',
      hours: 'competitive hours, payroll periods spread over months by days (rounded to 2 decimals)',
      wage_eur: 'competitive wages, spread the same way',
      on_benefit: 'on a qualifying benefit (population.qualifying_benefits: sickness and disability) for at least one day of the month',
      benefit_eur: 'qualifying benefit euros: monthly amount times the share of the month on the spell',
      on_any_benefit: 'on any benefit, WW and BIJSTAND included, for at least one day of the month',
      any_benefit_eur: 'euros of any benefit, WW and BIJSTAND included',
    },
  },
  {
    file: 'matches.parquet',
    area: 'restricted',
    description: 'Matching result per cohort person.',
    columns: {
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      subclass: 'matched set: stratum (exact) or pair/set (nearest neighbour without replacement); null when unmatched or with replacement',
      weight: 'ATT matching weight; 0 = unmatched',
      ps: 'propensity score (probability); null for exact matching',
    },
  },
  {
    file: 'subgroup_matches.parquet',
    area: 'restricted',
    description: 'Matching result per subgroup level and person of the level\'s sample (see export/subgroups.parquet).',
    columns: {
      subgroup: 'target_group, funder or provider',
      level: 'level of the subgroup',
      person_id: 'pseudonym',
      treated: '1 treated, 0 control',
      subclass: 'matched set within the level, as in matches',
      weight: 'ATT matching weight within the level; 0 = unmatched',
    },
  },
  {
    file: 'rejects.parquet',
    area: 'restricted',
    description: 'The rejects ledger: one row per rejected input row. The raw row itself is never stored.',
    columns: {
      run_id: 'run that ingested the row',
      delivery_id: 'delivery',
      file: 'file in the delivery',
      line_number: 'physical line in the file (header = line 1); Parquet: row number + 1',
      extract: 'extract of the file',
      rule_id: 'the first rule the row fails, e.g. benefit_spells.end_before_start',
      reason: 'the rule in words',
      row_hash: 'sha256 of the raw fields, joined by the unit separator',
    },
  },
];

/** Export files that are not tables of columns. */
const OTHER_EXPORT_FILES: Record<string, string> = {
  'effects.arrow': 'the rows of effects.parquet as an Arrow IPC file',
  'disclosure.json': 'every export table, the disclosure rules run on it and the cells each suppressed; the rounds run until counts shared by tables agree; warnings to review before release',
  'tables/': 'table1_baseline, table2_effects, table3_costs, attrition, linkage, follow_up, (with subgroups) table4_subgroups, monitoring_ever_employed and monitoring_at_work, each as .csv and .md',
  'report.html': 'one self-contained page: study settings, the tables and the figures (SVG)',
  'codebook.md': 'this file',
};

export function describeOutput(file: string): OutputFileDescription | undefined {
  return OUTPUT_FILES.find((output) => output.file === file);
}

/** export/codebook.md: every output file and column, generated from OUTPUT_FILES. */
export function renderCodebook(): string {
  const lines = ['# Codebook', '', 'Every file a published run writes, and what each column means. Generated from src/publish/output-columns.ts.', ''];
  for (const area of ['export', 'restricted'] as const) {
    lines.push(`## ${area}/`, '');
    if (area === 'export') {
      for (const [file, meaning] of Object.entries(OTHER_EXPORT_FILES)) lines.push(`- \`${file}\`: ${meaning}`);
      lines.push('');
    }
    if (area === 'restricted') lines.push('Person-level files: they never leave the secure area.', '');
    for (const output of OUTPUT_FILES.filter((candidate) => candidate.area === area)) {
      lines.push(`### ${output.file}`, '', output.description, '', '| column | meaning |', '| --- | --- |');
      for (const [column, meaning] of Object.entries(output.columns)) lines.push(`| \`${column}\` | ${meaning} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}
