/**
 * Corrected re-deliveries end to end: the same synthetic world delivered
 * once (corrected) and as two deliveries (the second closing open spells,
 * correcting payroll periods and replacing persons in full) gives the same
 * cohort, panel, matches and estimates, byte for byte; only the ingest
 * bookkeeping differs (attrition's rows, linkage, rejects: each delivery
 * has bad rows of its own).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { quoteLiteral } from '../../src/db/database.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { TEST_THREADS } from '../support/threads.js';

const SEED = 4242;
const PERSONS = 8000;

const runs: Record<'one' | 'two', string> = { one: '', two: '' };

async function read<Row>(file: string, sql: string): Promise<Row[]> {
  return withDatabase((db) => db.query<Row>('test', sql.replace('$file', `read_parquet(${quoteLiteral(file)})`)));
}

beforeAll(async () => {
  const work = makeTempDir('ipslink-redelivery-');
  for (const [name, deliveries] of [
    ['one', 1],
    ['two', 2],
  ] as const) {
    await synthesizeDelivery({
      outDir: join(work, name, 'landing', `synth-${SEED}`),
      persons: PERSONS,
      seed: SEED,
      deliveries,
      threads: TEST_THREADS,
    });
    const result = await runStudy({
      loaded: loadStudyConfig('config/demo.yaml'),
      landing: join(work, name, 'landing'),
      output: join(work, name, 'out'),
      threads: TEST_THREADS,
      force: true,
    });
    runs[name] = result.runDir;
  }
}, 300_000);

describe('two deliveries that add up to one corrected delivery', () => {
  test('give the same person-level tables, byte for byte', () => {
    const files = ['cohort.parquet', 'matches.parquet', 'subgroup_matches.parquet'];
    const panel = readdirSync(join(runs.one, 'restricted', 'panel'), { recursive: true, encoding: 'utf8' }).filter((name) =>
      name.endsWith('.parquet'),
    );
    expect(panel.length).toBe(61);
    for (const file of [...files, ...panel.map((name) => join('panel', name))]) {
      expect(readFileSync(join(runs.two, 'restricted', file)).equals(readFileSync(join(runs.one, 'restricted', file))), file).toBe(true);
    }
  });

  test('write every panel file in person_id order, whatever the threads', async () => {
    const [row] = await read<{ out_of_order: number }>(
      join(runs.two, 'restricted', 'panel', '*', '*.parquet'),
      `select count(*)::double as out_of_order from (
         select person_id < lag(person_id) over (partition by filename order by file_row_number) as is_descending
         from read_parquet('${join(runs.two, 'restricted', 'panel', '*', '*.parquet')}', filename = true, file_row_number = true)
       ) where is_descending`,
    );
    expect(row!.out_of_order).toBe(0);
  });

  test('give the same estimates, balance, costs and follow-up, byte for byte', () => {
    const bookkeeping = new Set(['attrition.parquet', 'linkage.parquet', 'disclosure.json', 'report.html']);
    const exported = readdirSync(join(runs.one, 'export')).filter((name) => /\.(parquet|arrow)$/.test(name) && !bookkeeping.has(name));
    expect(exported).toEqual(
      expect.arrayContaining(['effects.parquet', 'effects.arrow', 'balance.parquet', 'costs.parquet', 'follow_up.parquet']),
    );
    for (const file of exported) {
      expect(readFileSync(join(runs.two, 'export', file)).equals(readFileSync(join(runs.one, 'export', file))), file).toBe(true);
    }
  });

  test('differ in attrition only in the rows: delivered, accepted and in force; the superseded rows leave at step 3', async () => {
    const attrition = (run: string) =>
      read<{ step_key: string; n: number | null; n_treated: number | null; n_control: number | null }>(
        join(run, 'export', 'attrition.parquet'),
        'select step_key, n::double as n, n_treated::double as n_treated, n_control::double as n_control from $file order by step_no',
      );
    const [one, two] = [await attrition(runs.one), await attrition(runs.two)];
    // Each delivery has bad rows of its own, rejected or (with a person no delivery holds) kept as orphans, so the
    // row counts differ; from the persons on, every step is the same.
    expect(two.slice(3)).toEqual(one.slice(3));
    expect(two[2]!.step_key).toBe('rows_in_force');
    expect(two[0]!.n!).toBeGreaterThan(one[0]!.n!);
    expect(two[1]!.n! - two[2]!.n!).toBeGreaterThan(10_000);
    expect(one[1]!.n).toBe(one[2]!.n);
  });

  test('linkage shows the superseded rows, and the same linked rows in force', async () => {
    const linkage = (run: string) =>
      read<{
        extract: string;
        rows_read: number;
        rows_rejected: number;
        rows_superseded: number;
        rows_in_force: number;
        linked_rows: number;
      }>(
        join(run, 'export', 'linkage.parquet'),
        `select extract, rows_read::double as rows_read, rows_rejected::double as rows_rejected, rows_superseded::double as rows_superseded,
             rows_in_force::double as rows_in_force, linked_rows::double as linked_rows
         from $file order by extract`,
      );
    const [one, two] = [await linkage(runs.one), await linkage(runs.two)];
    expect(two.map((row) => row.linked_rows)).toEqual(one.map((row) => row.linked_rows));
    expect(one.every((row) => row.rows_superseded === 0)).toBe(true);
    for (const row of two) {
      expect(row.rows_superseded, row.extract).toBeGreaterThan(0);
      expect(row.rows_read, row.extract).toBe(row.rows_rejected + row.rows_superseded + row.rows_in_force);
    }
  });
});
