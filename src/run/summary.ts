/**
 * The short summary printed after a run: cohort sizes, the balance gate,
 * and matched vs unadjusted effects at the report months, beside the
 * planted effect when the delivery is synthetic (its truth.json).
 * Read from the published, disclosure-controlled export/ files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyConfig } from '../config/study-config.js';
import { Database, quoteLiteral } from '../db/database.js';
import type { BalanceGate } from './balance-gate.js';

export interface EffectLine {
  outcome: string;
  month: number;
  matched: { estimate: number | null; ci_low: number | null; ci_high: number | null };
  did: number | null;
  unadjusted: number | null;
  planted: number | null;
}

export interface RunSummary {
  runDir: string;
  cohort: { treated: number | null; control: number | null; matchedTreated: number | null; matchedControl: number | null };
  balanceGate: BalanceGate;
  effects: EffectLine[];
  arms: { treated: string; control: string };
  /** Subgroup levels (study config `subgroups`), and how many could be estimated. */
  subgroups: { levels: number; estimated: number };
  /** disclosure.json's warnings: small differences the rules cannot hide. */
  disclosureWarnings: number;
}

export const SUMMARY_OUTCOMES = ['employed_any', 'employed_48h'] as const;
const SUMMARY_MONTHS = [12, 24, 36];

interface Truth {
  att: Record<string, Record<string, number>>;
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
  const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as { balance_gate: BalanceGate };
  const exportDir = join(runDir, 'export');
  const db = await Database.open(':memory:');
  try {
    const attrition = await db.query<{ step: string; n_treated: number | null; n_control: number | null }>(
      'summary: attrition',
      `select step, n_treated::double as n_treated, n_control::double as n_control
       from read_parquet(${quoteLiteral(join(exportDir, 'attrition.parquet'))}) order by step_no`,
    );
    const cohortRow = attrition.at(-2);
    const matchedRow = attrition.at(-1);
    const effects = await db.query<{ outcome: string; estimator: string; event_month: number; estimate: number | null; ci_low: number | null; ci_high: number | null }>(
      'summary: effects',
      `select outcome, estimator, event_month, estimate, ci_low, ci_high
       from read_parquet(${quoteLiteral(join(exportDir, 'effects.parquet'))})
       where list_contains($outcomes, outcome) and list_contains($months, event_month)`,
      { outcomes: [...SUMMARY_OUTCOMES], months: SUMMARY_MONTHS },
    );
    const [subgroups] = await db.query<{ levels: number; estimated: number }>(
      'summary: subgroups',
      `select count(*)::double as levels, count(*) filter (where status like 'estimated%')::double as estimated
       from read_parquet(${quoteLiteral(join(exportDir, 'subgroups.parquet'))})`,
    );
    const disclosure = JSON.parse(readFileSync(join(exportDir, 'disclosure.json'), 'utf8')) as { warnings: string[] };
    const truth = readTruth(landing);
    const find = (outcome: string, estimator: string, month: number) =>
      effects.find((row) => row.outcome === outcome && row.estimator === estimator && row.event_month === month);
    return {
      runDir,
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
      effects: SUMMARY_OUTCOMES.flatMap((outcome) =>
        SUMMARY_MONTHS.map((month) => {
          const matched = find(outcome, 'matched_att', month);
          return {
            outcome,
            month,
            matched: { estimate: matched?.estimate ?? null, ci_low: matched?.ci_low ?? null, ci_high: matched?.ci_high ?? null },
            did: find(outcome, 'did_event_study', month)?.estimate ?? null,
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

export function formatRunSummary(summary: RunSummary): string {
  const { cohort, balanceGate: gate, arms } = summary;
  const lines = [
    `published ${summary.runDir}`,
    `cohort: ${arms.treated} ${count(cohort.treated)}, ${arms.control} ${count(cohort.control)}; ` +
      `matched: ${arms.treated} ${count(cohort.matchedTreated)}, ${arms.control} ${count(cohort.matchedControl)}`,
    gate.passed
      ? `balance: worst |SMD| after matching ${gate.max_abs_smd_after?.toFixed(3)} (${gate.worst}); gate ${gate.limit} passed`
      : `BALANCE GATE FAILED: ${gate.failing.length} covariate level(s) above |SMD| ${gate.limit}, worst ${gate.max_abs_smd_after?.toFixed(3)} (${gate.worst}); results are marked failing balance`,
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
        ` | ${pp(line.did).padStart(5)} | ${pp(line.unadjusted).padStart(5)} | ${line.planted === null ? 'n/a' : pp(line.planted)}${covered}`,
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
