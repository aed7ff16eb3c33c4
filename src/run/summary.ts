/**
 * The short summary printed after a run: rows superseded by later
 * deliveries, the extracts' coverage, cohort sizes, censoring by the end of
 * the follow-up, the balance gate, and matched vs unadjusted effects at the
 * report months, beside the planted effect when the delivery is synthetic
 * (its truth.json). Read from the published, disclosure-controlled export/
 * files.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADLINE_OUTCOMES } from '../config/outcomes.js';
import { followUpReportMonths, type StudyConfig } from '../config/study-config.js';
import { EXTRACTS } from '../contracts/extracts.js';
import { Database, quoteLiteral } from '../db/database.js';
import { readManifest } from '../publish/manifest.js';
import type { BalanceGate } from './balance-gate.js';

export interface EffectLine {
  outcome: string;
  month: number;
  matched: { estimate: number | null; ci_low: number | null; ci_high: number | null };
  /** Absent when the DiD is not estimated for the outcome; null when suppressed. */
  did?: number | null;
  unadjusted: number | null;
  planted: number | null;
}

/** Persons of one arm of the matched sample at the last follow-up month, by status (null: suppressed). */
export interface ArmFollowUp {
  arm: string;
  persons: number | null;
  byStatus: Record<string, number | null>;
}

export interface RunSummary {
  runDir: string;
  /** Rows of earlier deliveries no longer in force, per extract (linkage). */
  superseded: Record<string, number>;
  /** Months each time-dimension extract covers (linkage). */
  coverage: { extract: string; from: string | null; to: string | null; source: string | null }[];
  /** Persons who left the cohort because their window lies outside the coverage (null: suppressed). */
  outsideCoverage: number | null;
  /** The matched sample at the last follow-up month. */
  followUp: { month: number; arms: ArmFollowUp[] };
  /** Config settings to look at twice (configWarnings). */
  configWarnings: string[];
  cohort: { treated: number | null; control: number | null; matchedTreated: number | null; matchedControl: number | null };
  balanceGate: BalanceGate;
  effects: EffectLine[];
  arms: { treated: string; control: string };
  /** Subgroup levels (study config `subgroups`), and how many could be estimated. */
  subgroups: { levels: number; estimated: number };
  /** disclosure.json's warnings: small differences the rules cannot hide. */
  disclosureWarnings: number;
}

/** The summary shows the yearly report months. */
const summaryMonths = (study: StudyConfig) => followUpReportMonths(study.follow_up).filter((month) => month % 12 === 0);

interface Truth {
  att: Record<string, Record<string, number> | undefined>;
}

/** truth.json of the study's synthetic deliveries, if there is exactly one. */
function readTruth(landing: string): Truth | null {
  if (!existsSync(landing)) return null;
  const truths = readdirSync(landing)
    .sort()
    .map((name) => join(landing, name, 'truth.json'))
    .filter(existsSync);
  return truths.length === 1 ? (JSON.parse(readFileSync(truths[0]!, 'utf8')) as Truth) : null;
}

export async function readRunSummary(runDir: string, landing: string, study: StudyConfig): Promise<RunSummary> {
  const manifest = readManifest(runDir);
  const exportDir = join(runDir, 'export');
  const file = (name: string) => `read_parquet(${quoteLiteral(join(exportDir, `${name}.parquet`))})`;
  const db = await Database.open(':memory:');
  try {
    const attrition = await db.query<{
      step_key: string;
      n: number | null;
      n_treated: number | null;
      n_control: number | null;
      sample: string | null;
    }>(
      'summary: attrition',
      `select step_key, n::double as n, n_treated::double as n_treated, n_control::double as n_control, sample
       from ${file('attrition')} order by step_no`,
    );
    const cohortRow = attrition.find((row) => row.sample === 'cohort');
    const matchedRow = attrition.find((row) => row.sample === 'matched');
    const step = (key: string) => attrition.find((row) => row.step_key === key)?.n ?? null;
    const [before, after] = [step('index_window'), step('coverage')];
    const linkage = await db.query<{
      extract: string;
      rows_superseded: number;
      coverage_from: string | null;
      coverage_to: string | null;
      coverage_source: string | null;
    }>(
      'summary: linkage',
      `select extract, rows_superseded::double as rows_superseded, coverage_from, coverage_to, coverage_source
       from ${file('linkage')} order by list_position($extracts, extract)`,
      { extracts: EXTRACTS.map((extract) => extract.name) },
    );
    const lastMonth = study.follow_up.months_after;
    const followUp = await db.query<{ arm: string; status: string; persons: number | null }>(
      'summary: follow-up',
      `select arm, status, persons::double as persons from ${file('follow_up')}
       where sample = 'matched' and event_month = $month order by arm, status`,
      { month: lastMonth },
    );
    const effects = await db.query<{
      outcome: string;
      estimator: string;
      event_month: number;
      estimate: number | null;
      ci_low: number | null;
      ci_high: number | null;
    }>(
      'summary: effects',
      `select outcome, estimator, event_month, estimate, ci_low, ci_high
       from ${file('effects')}
       where list_contains($outcomes, outcome) and list_contains($months, event_month)`,
      { outcomes: HEADLINE_OUTCOMES, months: summaryMonths(study) },
    );
    const [subgroups] = await db.query<{ levels: number; estimated: number }>(
      'summary: subgroups',
      `select count(*)::double as levels, count(*) filter (where status = 'estimated')::double as estimated
       from ${file('subgroups')}`,
    );
    const disclosure = JSON.parse(readFileSync(join(exportDir, 'disclosure.json'), 'utf8')) as { warnings: string[] };
    const truth = readTruth(landing);
    const find = (outcome: string, estimator: string, month: number) =>
      effects.find((row) => row.outcome === outcome && row.estimator === estimator && row.event_month === month);
    const arms = [study.arms.treated, study.arms.control];
    return {
      runDir,
      superseded: Object.fromEntries(linkage.map((row) => [row.extract, row.rows_superseded])),
      coverage: linkage
        .filter((row) => row.coverage_from !== null)
        .map((row) => ({ extract: row.extract, from: row.coverage_from, to: row.coverage_to, source: row.coverage_source })),
      outsideCoverage: before !== null && after !== null ? before - after : null,
      followUp: {
        month: lastMonth,
        arms: arms.map((arm) => ({
          arm,
          persons: arm === study.arms.treated ? (matchedRow?.n_treated ?? null) : (matchedRow?.n_control ?? null),
          byStatus: Object.fromEntries(followUp.filter((row) => row.arm === arm).map((row) => [row.status, row.persons])),
        })),
      },
      configWarnings: manifest.config_warnings ?? [],
      arms: study.arms,
      cohort: {
        treated: cohortRow?.n_treated ?? null,
        control: cohortRow?.n_control ?? null,
        matchedTreated: matchedRow?.n_treated ?? null,
        matchedControl: matchedRow?.n_control ?? null,
      },
      balanceGate: manifest.balance_gate,
      subgroups: subgroups!,
      disclosureWarnings: disclosure.warnings.length,
      effects: HEADLINE_OUTCOMES.flatMap((outcome) =>
        summaryMonths(study).map((month) => {
          const matched = find(outcome, 'matched_att', month);
          return {
            outcome,
            month,
            matched: { estimate: matched?.estimate ?? null, ci_low: matched?.ci_low ?? null, ci_high: matched?.ci_high ?? null },
            ...(find(outcome, 'did_event_study', month) ? { did: find(outcome, 'did_event_study', month)!.estimate } : {}),
            unadjusted: find(outcome, 'unadjusted', month)?.estimate ?? null,
            planted: truth?.att[outcome]?.[String(month)] ?? null,
          };
        }),
      ),
    };
  } finally {
    db.close();
  }
}

const pp = (value: number | null) => (value === null ? 'suppressed' : `${(100 * value).toFixed(1)}`);
const count = (value: number | null) => (value === null ? '<suppressed>' : value.toLocaleString('en-GB'));

const STATUS_LABELS: Record<string, string> = {
  death: 'died',
  emigration: 'emigrated',
  state_pension_age: 'reached state-pension age',
  started_treated_programme: 'censored at their start of the treated programme',
  without_comparator: 'without an observed comparator',
};

function followUpLines(summary: RunSummary): string[] {
  const { month, arms } = summary.followUp;
  const lines = arms.map(({ arm, persons, byStatus }) => {
    const reasons = Object.entries(STATUS_LABELS)
      .filter(([status]) => status in byStatus)
      .map(([status, label]) => `${count(byStatus[status]!)} ${label}`);
    return `  ${arm}: ${count(byStatus.observed ?? null)} of ${count(persons)} observed${reasons.length ? `; ${reasons.join(', ')}` : ''}`;
  });
  const crossed = arms.find((arm) => arm.arm === summary.arms.control)?.byStatus.crossed_over;
  if (crossed !== undefined) lines.push(`  ${summary.arms.control} persons who started ${summary.arms.treated} by then: ${count(crossed)}`);
  return [`follow-up at month ${month} (matched sample):`, ...lines];
}

export function formatRunSummary(summary: RunSummary): string {
  const { cohort, balanceGate: gate, arms } = summary;
  const superseded = Object.entries(summary.superseded).filter(([, rows]) => rows > 0);
  const lines = [
    `published ${summary.runDir}`,
    ...summary.configWarnings.map((warning) => `WARNING: ${warning}`),
    `rows superseded by later deliveries: ${superseded.length ? superseded.map(([extract, rows]) => `${extract} ${count(rows)}`).join(', ') : 'none'}`,
    `coverage: ${summary.coverage.map((row) => `${row.extract} ${row.from}..${row.to} (${row.source})`).join(', ')}; ` +
      `${count(summary.outsideCoverage)} persons left out because their look-back, pre-period or follow-up lies outside it`,
    `cohort: ${arms.treated} ${count(cohort.treated)}, ${arms.control} ${count(cohort.control)}; ` +
      `matched: ${arms.treated} ${count(cohort.matchedTreated)}, ${arms.control} ${count(cohort.matchedControl)}`,
    gate.passed
      ? `balance: worst |SMD| after matching ${gate.max_abs_smd_after?.toFixed(3)} (${gate.worst}); gate ${gate.limit} passed`
      : `BALANCE GATE FAILED: ${gate.failing.length} covariate level(s) above |SMD| ${gate.limit}, worst ${gate.max_abs_smd_after?.toFixed(3)} (${gate.worst}); results are marked failing balance`,
    ...followUpLines(summary),
    'effects in percentage points: matched ATT [95% CI] | event-study DiD | unadjusted difference | planted',
  ];
  for (const line of summary.effects) {
    const { estimate, ci_low, ci_high } = line.matched;
    const covered =
      line.planted === null || ci_low === null || ci_high === null
        ? ''
        : line.planted >= ci_low && line.planted <= ci_high
          ? '  (CI covers planted)'
          : '  (CI MISSES planted)';
    lines.push(
      `  ${line.outcome.padEnd(13)} month ${String(line.month).padStart(2)}: ${pp(estimate).padStart(5)} [${pp(ci_low)}, ${pp(ci_high)}]` +
        ` | ${(line.did === undefined ? 'n/a' : pp(line.did)).padStart(5)} | ${pp(line.unadjusted).padStart(5)} | ${line.planted === null ? 'n/a' : pp(line.planted)}${covered}`,
    );
  }
  if (summary.subgroups.levels > 0) {
    const { levels, estimated } = summary.subgroups;
    lines.push(`subgroups: ${levels} levels, ${estimated} estimated${estimated < levels ? ' (table4_subgroups says why not)' : ''}`);
  }
  if (summary.disclosureWarnings > 0) {
    lines.push(`DISCLOSURE: ${summary.disclosureWarnings} warning(s) in export/disclosure.json to review before release`);
  }
  return lines.join('\n');
}
