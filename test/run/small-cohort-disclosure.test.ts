/**
 * Disclosure control on a small cohort, where many cells hold fewer than 10
 * persons: no exported person count is below the threshold, and no
 * suppressed covariate level can be recovered by subtraction from the arm
 * total.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';

const THRESHOLD = 10;
const PERSON_COUNT = /^(n|n_treated|n_control|persons(_.*)?|matched_(treated|control))$/;
let exportDir: string;

beforeAll(async () => {
  const work = makeTempDir('ipslink-small-');
  await synthesizeDelivery({ outDir: join(work, 'landing', 'synth-3'), persons: 700, seed: 3 });
  const { runDir } = await runStudy({ loaded: loadStudyConfig('config/demo.yaml'), landing: join(work, 'landing'), output: join(work, 'out') });
  exportDir = join(runDir, 'export');
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
      db.query<{ hidden: number }>('hidden', `select count(*)::double as hidden from read_parquet(${quoteLiteral(join(exportDir, 'balance.parquet'))}) where persons_treated_after is null`),
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
});
