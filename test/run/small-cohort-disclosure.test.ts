/**
 * Disclosure control on a small cohort, where many cells hold fewer than 10
 * persons: no exported person count is below the threshold; no suppressed
 * covariate level can be recovered by subtraction from the arm total; no two
 * published rows of a cumulative table differ by fewer than 10 persons; and
 * a count published in several tables is suppressed in all or none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { TEST_THREADS } from '../support/threads.js';

const THRESHOLD = 10;
const PERSON_COUNT = /^(n|n_treated|n_control|persons(_.*)?|matched_(treated|control))$/;
let exportDir: string;

function readExport<Row>(sql: string): Promise<Row[]> {
  return withDatabase((db) =>
    db.query<Row>(
      'read',
      sql.replaceAll(/\$(\w+)/g, (_, file: string) => `read_parquet(${quoteLiteral(join(exportDir, `${file}.parquet`))})`),
    ),
  );
}

/** Differences between consecutive published rows that are counts of 1 to 9 persons. */
function smallSteps(rows: { group: string; value: number | null; label: string }[]): string[] {
  const last = new Map<string, number>();
  const found: string[] = [];
  for (const row of rows) {
    if (row.value === null) continue;
    const previous = last.get(row.group);
    if (previous !== undefined && Math.abs(previous - row.value) >= 1 && Math.abs(previous - row.value) < THRESHOLD) found.push(row.label);
    last.set(row.group, row.value);
  }
  return found;
}

let warnings: string[];

beforeAll(async () => {
  const work = makeTempDir('ipslink-small-');
  await synthesizeDelivery({ outDir: join(work, 'landing', 'synth-3'), persons: 700, seed: 3, threads: TEST_THREADS });
  const { runDir } = await runStudy({
    loaded: loadStudyConfig('config/demo.yaml'),
    landing: join(work, 'landing'),
    output: join(work, 'out'),
    threads: TEST_THREADS,
    force: true,
  });
  exportDir = join(runDir, 'export');
  warnings = JSON.parse(readFileSync(join(exportDir, 'disclosure.json'), 'utf8')).warnings;
}, 120_000);

describe('a small cohort', () => {
  test('publishes no person count below 10 in any export file', async () => {
    const small = await withDatabase(async (db) => {
      const found: string[] = [];
      for (const file of readdirSync(exportDir).filter((name) => name.endsWith('.parquet'))) {
        const source = `read_parquet(${quoteLiteral(join(exportDir, file))})`;
        const columns = await db.query<{ column_name: string }>('describe', `describe select * from ${source}`);
        for (const { column_name: column } of columns.filter(({ column_name: name }) => PERSON_COUNT.test(name))) {
          const condition = file === 'attrition.parquet' ? "and unit = 'persons'" : '';
          const [row] = await db.query<{ cells: number }>(
            'count small',
            `select count(*)::double as cells from ${source} where ${quoteIdentifier(column)} < ${THRESHOLD} ${condition}`,
          );
          if (row!.cells > 0) found.push(`${file}.${column}: ${row!.cells}`);
        }
      }
      return found;
    });
    expect(small).toEqual([]);
  });

  test('suppressed a good share of cells, so the test exercised the rules', async () => {
    const [row] = await withDatabase((db) =>
      db.query<{ hidden: number }>(
        'hidden',
        `select count(*)::double as hidden from read_parquet(${quoteLiteral(join(exportDir, 'balance.parquet'))}) where persons_treated_after is null`,
      ),
    );
    expect(row!.hidden).toBeGreaterThan(5);
  });

  test('the levels hidden in a covariate and arm add up to at least 10 given the arm total', async () => {
    const groups = await withDatabase((db) =>
      db.query<{ covariate: string; total: number; shown: number; hidden: number }>(
        'groups',
        `with levels as (select * from read_parquet(${quoteLiteral(join(exportDir, 'balance.parquet'))}) where level <> ''),
         totals as (
             select max(n_treated) filter (where step like 'matched%') as treated_after
             from read_parquet(${quoteLiteral(join(exportDir, 'attrition.parquet'))})
         )
         select covariate, any_value(totals.treated_after)::double as total,
             coalesce(sum(persons_treated_after), 0)::double as shown,
             count(*) filter (where persons_treated_after is null)::double as hidden
         from levels cross join totals group by covariate`,
      ),
    );
    for (const group of groups) {
      if (group.total === null) continue;
      expect(group.hidden === 0 || group.total - group.shown >= THRESHOLD, group.covariate).toBe(true);
    }
  });

  test('published attrition steps differ by 0 or at least 10 persons per arm, except the gaps disclosure.json warns about', async () => {
    const steps = await readExport<{ step_no: number; n_treated: number | null; n_control: number | null }>(
      "select step_no::integer as step_no, n_treated::double as n_treated, n_control::double as n_control from $attrition where unit = 'persons' order by step_no",
    );
    const small = (['n_treated', 'n_control'] as const).flatMap((arm) =>
      smallSteps(steps.map((step) => ({ group: arm, value: step[arm], label: `step ${step.step_no} ${arm}` }))),
    );
    const warned = small.filter((label) => warnings.some((warning) => warning.includes(`to ${label.split(' ')[1]}:`)));
    expect(small).toEqual(warned);
  });

  test('published ever-employed months differ by 0 or at least 10 persons', async () => {
    const months = await readExport<{ weighting: string; arm: string; event_month: number; persons_ever_employed: number | null }>(
      'select weighting, arm, event_month, persons_ever_employed::double as persons_ever_employed from $ever_employed order by weighting, arm, event_month',
    );
    const small = smallSteps(
      months.map((month) => ({
        group: `${month.weighting} ${month.arm}`,
        value: month.persons_ever_employed,
        label: `${month.weighting} ${month.arm} ${month.event_month}`,
      })),
    );
    expect(small).toEqual([]);
    expect(months.some((month) => month.persons_ever_employed === null)).toBe(true);
  });

  test('a reason for leaving the follow-up is never a small step between report months, nor recoverable from the others', async () => {
    const rows = await readExport<{
      sample: string;
      arm: string;
      event_month: number;
      status: string;
      persons: number | null;
      size: number;
    }>(
      `select follow_up.sample, follow_up.arm, follow_up.event_month, follow_up.status, follow_up.persons::double as persons,
           (case follow_up.arm when 'IPS' then attrition.n_treated else attrition.n_control end)::double as size
       from $follow_up as follow_up join $attrition as attrition using (sample)
       where follow_up.is_status
       order by follow_up.sample, follow_up.arm, follow_up.status, follow_up.event_month`,
    );
    expect(rows.length).toBeGreaterThan(0);
    const reasons = rows.filter((row) => row.status !== 'observed');
    expect(
      smallSteps(
        reasons.map((row) => ({
          group: `${row.sample} ${row.arm} ${row.status}`,
          value: row.persons,
          label: `${row.sample} ${row.arm} ${row.status} ${row.event_month}`,
        })),
      ),
    ).toEqual([]);
    const months = new Map<string, typeof rows>();
    for (const row of rows)
      months.set(`${row.sample} ${row.arm} ${row.event_month}`, [
        ...(months.get(`${row.sample} ${row.arm} ${row.event_month}`) ?? []),
        row,
      ]);
    for (const [month, statuses] of months) {
      const observed = statuses.find((row) => row.status === 'observed')?.persons;
      const hidden = statuses.filter((row) => row.status !== 'observed' && row.persons === null);
      if (observed === null || observed === undefined || hidden.length === 0) continue;
      const shown = statuses.filter((row) => row.status !== 'observed').reduce((sum, row) => sum + (row.persons ?? 0), 0);
      // The size minus the observed is every reason together; the hidden ones must not be one small count.
      expect(hidden.length >= 2 || statuses[0]!.size - observed - shown >= THRESHOLD, month).toBe(true);
    }
  });

  test("a subgroup level's matched persons are hidden in subgroups and subgroup_effects alike, and never a small difference from its persons", async () => {
    const levels = await readExport<{
      level: string;
      persons_treated: number | null;
      matched_treated: number | null;
      effect_n: number | null;
    }>(
      `select subgroups.level, persons_treated::double as persons_treated, matched_treated::double as matched_treated,
           max(effects.n_treated)::double as effect_n
       from $subgroups as subgroups
       left join $subgroup_effects as effects using (subgroup, level)
       group by all`,
    );
    expect(levels.length).toBeGreaterThan(0);
    for (const level of levels) {
      expect(level.effect_n, level.level).toBe(level.matched_treated);
      if (level.persons_treated !== null && level.matched_treated !== null) {
        const unmatched = level.persons_treated - level.matched_treated;
        expect(unmatched === 0 || unmatched >= THRESHOLD, level.level).toBe(true);
      }
    }
  });

  test("a quarter's providers hidden in monitoring add up to at least 10 given the quarter's total, or none is hidden", async () => {
    const quarters = await readExport<{ quarter: string; total: number | null; shown: number; hidden: number }>(
      `select quarter,
          max(persons_active) filter (where provider_id = 'all')::double as total,
          coalesce(sum(persons_active) filter (where provider_id <> 'all'), 0)::double as shown,
          count(*) filter (where provider_id <> 'all' and persons_active is null)::double as hidden
       from $monitoring group by quarter`,
    );
    expect(quarters.some((quarter) => quarter.hidden > 0 && quarter.total !== null)).toBe(true);
    for (const quarter of quarters.filter((candidate) => candidate.total !== null && candidate.hidden > 0)) {
      expect(quarter.hidden >= 2 && quarter.total! - quarter.shown >= THRESHOLD, quarter.quarter).toBe(true);
    }
  });

  test('the matched persons per arm are the same, or hidden, in every table that publishes them', async () => {
    const [counts] = await readExport<Record<string, number | null>>(
      `select
          (select n_treated from $attrition order by step_no desc limit 1)::double as attrition,
          (select max(persons_treated_after) from $balance where level = '')::double as balance,
          (select max(n_treated) from $effects where estimator = 'matched_att')::double as effects,
          (select max(persons) from $curves where weighting = 'matched' and arm = 'IPS')::double as curves,
          (select max(n_treated) from $costs)::double as costs`,
    );
    expect(new Set(Object.values(counts!)).size).toBe(1);
  });
});
