/**
 * The aggregate tables published under export/, each with the disclosure
 * rules that guard it. Person-level tables never appear here.
 */
import { BINARY_OUTCOMES, type StudyConfig } from '../config/study-config.js';
import {
  complementaryPartRule,
  differenceRule,
  type ExportTable,
  type LinkedCount,
  minPersonsRule,
  seriesRule,
  type SuppressionRule,
} from '../disclosure/index.js';

/** A mean of euros where a few persons make up most of the total reveals their amounts. */
function dominanceRule(maxShare: number, topPersons: number, suppress: readonly string[]): SuppressionRule {
  return {
    id: 'dominance:money_mean',
    description: `the ${topPersons} largest persons hold more than ${maxShare} of a money total: suppress ${suppress.join(', ')}`,
    when: `coalesce(top_share, 0) > ${maxShare}`,
    suppress: [...suppress],
  };
}

/*
 * Keys of linked counts (see LinkedCount): `<sample>|<arm>[|<column>=<level>]`,
 * sample `cohort` (the study cohort), `matched` (matching weight above 0) or
 * `subgroup:<name>=<level>` (a subgroup level's matched sample). A count of
 * the persons a month's estimate rests on is the sample's size until someone
 * is censored, and `<sample>|<arm>|m=<month>` after.
 */
const sampleOf = (weighting: string) => `case ${weighting} when 'matched' then 'matched' else 'cohort' end`;

/** The key of a month's count of persons: the sample's own key while it equals the sample's size. */
function monthlyKey(sampleKey: string, count: string, size: string): string {
  return `${sampleKey} || case when ${count} = ${size} then '' else '|m=' || event_month end`;
}

/** Both arms' counts of a month's estimate (n_treated, n_control beside the sizes sample_treated, sample_control; see monthlyKey). */
function armLinks(sample: string): LinkedCount[] {
  return (['treated', 'control'] as const).map((arm) => ({
    column: `n_${arm}`,
    key: monthlyKey(`${sample} || '|${arm}'`, `n_${arm}`, `sample_${arm}`),
  }));
}

/** Sizes of the study cohort and the matched sample per arm, from the attrition table (sample_treated, sample_control). */
function joinSampleSizes(sample: string): string {
  return `left join (select sample as size_sample, n_treated as sample_treated, n_control as sample_control from attrition where sample is not null) as sizes
        on sizes.size_sample = ${sample}`;
}

export function exportTables(study: Pick<StudyConfig, 'arms' | 'disclosure'>): ExportTable[] {
  const { arms } = study;
  const armOf = (column: string) => `case ${column} when '${arms.treated}' then 'treated' else 'control' end`;
  const armSize = (column: string) => `case ${column} when '${arms.treated}' then sizes.sample_treated else sizes.sample_control end`;
  const { max_share: maxShare, top_persons: topPersons } = study.disclosure.dominance;
  return [
    {
      name: 'attrition',
      source: `select step_no, step_key, step, unit, n, n_treated, n_control, sample, coalesce(not shown.shown, false) as is_merged
        from attrition left join attrition_steps_shown as shown using (step_no)`,
      orderBy: 'step_no',
      hiddenColumns: ['is_merged'],
      links: [
        { column: 'n_treated', key: "sample || '|treated'" },
        { column: 'n_control', key: "sample || '|control'" },
        { column: 'n', key: "case step_key when 'persons' then 'persons' when 'with_trajectory' then 'trajectories' end || '|all'" },
      ],
      // n = n_treated + n_control: a small arm hides the row's other counts too.
      // A step whose drop from its neighbours is small is left out (sql/disclosure/01).
      rules: (threshold) => [
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
    },
    {
      name: 'linkage',
      source: 'select * from linkage',
      orderBy: 'extract',
      links: [{ column: 'persons', key: "case extract when 'persons' then 'persons' when 'trajectories' then 'trajectories' end || '|all'" }],
      rules: (threshold) => [minPersonsRule(threshold, 'persons')],
    },
    {
      name: 'balance',
      source: 'select * from balance',
      orderBy: 'covariate, level',
      links: (['before', 'after'] as const).flatMap((sample) =>
        (['treated', 'control'] as const).map((arm) => ({
          column: `persons_${arm}_${sample}`,
          key: `'${sample === 'before' ? 'cohort' : 'matched'}|${arm}' || case when level <> '' then '|' || covariate || '=' || level else '' end`,
        })),
      ),
      // Not protected: a level's persons before minus after (its unmatched persons). Hiding those would take
      // the shares and SMDs after matching of most levels with them; disclosure.json says so.
      rules: (threshold) =>
        (['before', 'after'] as const).flatMap((sample) =>
          (['treated', 'control'] as const).flatMap((arm) => {
            const derived = [`mean_${arm}_${sample}`, `smd_${sample}`, `variance_ratio_${sample}`, `ecdf_max_${sample}`];
            return [
              minPersonsRule(threshold, `persons_${arm}_${sample}`, derived),
              complementaryPartRule(threshold, `persons_${arm}_${sample}`, ['covariate'], "level <> ''", derived),
            ];
          }),
        ),
    },
    {
      name: 'ps_model',
      source: 'select * from ps_model',
      orderBy: 'term',
      rules: () => [],
    },
    {
      name: 'effects',
      // Money effects are differences of means: dominated in either arm, they are suppressed.
      source: `select effects.*, greatest(treated_share.top_share, control_share.top_share) as top_share, sizes.sample_treated, sizes.sample_control
        from effects
        ${joinSampleSizes("case effects.estimator when 'unadjusted' then 'cohort' else 'matched' end")}
        left join money_dominance as treated_share
            on treated_share.treated = 1 and treated_share.outcome = effects.outcome and treated_share.event_month = effects.event_month
            and treated_share.weighting = case effects.estimator when 'unadjusted' then 'unweighted' else 'matched' end
        left join money_dominance as control_share
            on control_share.treated = 0 and control_share.outcome = effects.outcome and control_share.event_month = effects.event_month
            and control_share.weighting = case effects.estimator when 'unadjusted' then 'unweighted' else 'matched' end`,
      orderBy: 'outcome, estimator, event_month',
      hiddenColumns: ['top_share', 'sample_treated', 'sample_control'],
      // The DiD is estimated on the matched persons' months in the estimate.
      links: armLinks("case estimator when 'unadjusted' then 'cohort' else 'matched' end"),
      rules: (threshold) => [
        minPersonsRule(threshold, 'n_treated', ['estimate', 'se', 'ci_low', 'ci_high']),
        minPersonsRule(threshold, 'n_control', ['estimate', 'se', 'ci_low', 'ci_high']),
        dominanceRule(maxShare, topPersons, ['estimate', 'se', 'ci_low', 'ci_high']),
      ],
    },
    {
      name: 'subgroups',
      source: 'select * from subgroups',
      orderBy: 'subgroup, level',
      links: [
        subgroupLink('persons_treated', 'treated', "'cohort'"),
        subgroupLink('persons_control', 'control', "'cohort'"),
        subgroupLink('matched_treated', 'treated', "'matched'"),
        subgroupLink('matched_control', 'control', "'matched'"),
      ],
      // The levels of a subgroup add up to the cohort's treated persons (and controls, when matched within level).
      rules: (threshold) => [
        ...['persons_treated', 'persons_control', 'matched_treated', 'matched_control'].map((count) => minPersonsRule(threshold, count)),
        differenceRule(threshold, 'persons_treated', 'matched_treated'),
        differenceRule(threshold, 'persons_control', 'matched_control'),
        complementaryPartRule(threshold, 'persons_treated', ['subgroup'], 'true'),
        complementaryPartRule(threshold, 'persons_control', ['subgroup'], "controls = 'same level'"),
      ],
    },
    {
      name: 'subgroup_effects',
      source: `select subgroup_effects.*, subgroups.controls as controls,
            subgroups.matched_treated as sample_treated, subgroups.matched_control as sample_control
        from subgroup_effects join subgroups using (subgroup, level)`,
      orderBy: 'subgroup, level, outcome, estimator, event_month',
      hiddenColumns: ['controls', 'sample_treated', 'sample_control'],
      links: (['treated', 'control'] as const).map((arm) => {
        const link = subgroupLink(`n_${arm}`, arm, "'matched'");
        return { ...link, key: monthlyKey(link.key, `n_${arm}`, `sample_${arm}`) };
      }),
      rules: (threshold) => [
        minPersonsRule(threshold, 'n_treated', ['estimate', 'se', 'ci_low', 'ci_high']),
        minPersonsRule(threshold, 'n_control', ['estimate', 'se', 'ci_low', 'ci_high']),
      ],
    },
    {
      name: 'pretrend_tests',
      source: 'select outcome, round(statistic, 10) as statistic, df, round(p_value, 10) as p_value, test from pretrend_tests',
      orderBy: 'outcome, test',
      rules: () => [],
    },
    {
      name: 'costs',
      source: 'select * from costs',
      orderBy: 'measure',
      links: [
        { column: 'n_treated', key: "'matched|treated'" },
        { column: 'n_control', key: "'matched|control'" },
      ],
      rules: (threshold) => [
        minPersonsRule(threshold, 'n_treated', ['estimate', 'ci_low', 'ci_high']),
        minPersonsRule(threshold, 'n_control', ['estimate', 'ci_low', 'ci_high']),
      ],
    },
    {
      name: 'monitoring',
      source: 'select * from monitoring_quarter_provider',
      orderBy: 'quarter, provider_id',
      // The providers of a quarter add up to its 'all' row (or more, for a person active at two providers).
      rules: (threshold) => [
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
    },
    {
      name: 'ever_employed',
      source: `select ever_employed.*, ${armSize('ever_employed.arm')} as sample_persons
        from ever_employed
        ${joinSampleSizes(sampleOf('ever_employed.weighting'))}`,
      orderBy: 'weighting, arm, event_month',
      hiddenColumns: ['sample_persons'],
      links: [{ column: 'persons', key: monthlyKey(`${sampleOf('weighting')} || '|' || ${armOf('arm')}`, 'persons', 'sample_persons') }],
      rules: (threshold) => [
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
    },
    {
      name: 'follow_up',
      source: `select follow_up.*, ${armSize('follow_up.arm')} as sample_persons
        from follow_up
        ${joinSampleSizes('follow_up.sample')}`,
      orderBy: 'sample, arm, event_month, is_status desc, status',
      hiddenColumns: ['sample_persons'],
      // The persons in the estimate are the n of that month in effects and curves.
      links: [{ column: 'persons', key: `case status when 'observed' then ${monthlyKey("sample || '|' || " + armOf('arm'), 'persons', 'sample_persons')} end` }],
      // The sample's size (attrition) minus that n is every other status together, so it is published: not
      // protected are the persons leaving the estimate, all reasons together (disclosure.json says so). The
      // reasons are protected against each other: one hidden takes the smallest visible one with it, and each
      // reason's cumulative count is walked by month (from the last).
      rules: (threshold) => [
        minPersonsRule(threshold, 'persons'),
        // Walked from the end of the follow-up, so the totals by then are kept and the months before thinned out.
        seriesRule(threshold, 'persons', { group: ['sample', 'arm', 'status'], order: 'event_month', backward: true, applies: "status <> 'observed'" }),
        complementaryPartRule(threshold, 'persons', ['sample', 'arm', 'event_month'], "is_status and status <> 'observed'"),
      ],
    },
    {
      name: 'ps_distribution',
      source: 'select * from ps_distribution',
      orderBy: 'sample, arm, ps_from',
      // The bins add up to the arm's persons.
      rules: (threshold) => [minPersonsRule(threshold, 'persons'), complementaryPartRule(threshold, 'persons', ['sample', 'arm'], 'true')],
    },
    {
      name: 'curves',
      source: `select
            weighting,
            case arm_means.treated when 1 then '${arms.treated}' else '${arms.control}' end as arm,
            outcome,
            event_month,
            round(mean, 10) as mean,
            round(mean - 1.959963984540054 * sqrt(variance_of_mean), 10) as ci_low,
            round(mean + 1.959963984540054 * sqrt(variance_of_mean), 10) as ci_high,
            persons,
            persons_positive,
            outcome in (${BINARY_OUTCOMES.map((name) => `'${name}'`).join(', ')}) as is_binary,
            money_dominance.top_share,
            case arm_means.treated when 1 then sizes.sample_treated else sizes.sample_control end as sample_persons
        from arm_means
        left join money_dominance using (weighting, outcome, event_month, treated)
        ${joinSampleSizes(sampleOf('arm_means.weighting'))}
        where arm_means.subgroup = ''`,
      hiddenColumns: ['persons_positive', 'is_binary', 'top_share', 'sample_persons'],
      orderBy: 'weighting, outcome, arm, event_month',
      links: [{ column: 'persons', key: monthlyKey(`${sampleOf('weighting')} || '|' || ${armOf('arm')}`, 'persons', 'sample_persons') }],
      rules: (threshold) => [
        minPersonsRule(threshold, 'persons', ['mean', 'ci_low', 'ci_high']),
        {
          id: 'min_persons:share',
          description: `a share with fewer than ${threshold} persons with or without the outcome: suppress mean, ci_low, ci_high`,
          when: `is_binary and least(persons_positive, persons - persons_positive) < ${threshold}`,
          suppress: ['mean', 'ci_low', 'ci_high'],
        },
        dominanceRule(maxShare, topPersons, ['mean', 'ci_low', 'ci_high']),
      ],
    },
  ];
}

/**
 * The link of a subgroup level's count (SQL over a row with subgroup, level
 * and controls): in the level's cohort sample (a provider's controls are the
 * whole cohort's), or in its matched sample.
 */
function subgroupLink(column: string, arm: 'treated' | 'control', sample: string): LinkedCount {
  const level = "subgroup || '=' || level";
  const cohort = arm === 'treated' ? `'cohort|treated|' || ${level}` : `case controls when 'all controls' then 'cohort|control' else 'cohort|control|' || ${level} end`;
  return { column, key: `case ${sample} when 'cohort' then ${cohort} else 'subgroup:' || ${level} || '|${arm}' end` };
}
