/**
 * sql/link/01_merge_coverage_spans.sql: an extract covers the union of its
 * files' months since its latest full file, as spans without gaps.
 */
import { describe, expect, test } from 'vitest';
import { createWarehouseTables } from '../../src/ingest/index.js';
import { withDatabase } from '../support/delivery.js';

async function spans(files: string): Promise<{ extract: string; span_from: string; span_to: string; source: string }[]> {
  return withDatabase(async (db) => {
    await createWarehouseTables(db);
    await db.run('coverage', `insert into extract_coverage values ${files}`);
    await db.runFile('link/01_merge_coverage_spans.sql');
    return db.query(
      'spans',
      "select extract, strftime(span_from, '%Y-%m') as span_from, strftime(span_to, '%Y-%m') as span_to, source from coverage_spans order by extract, span_no",
    );
  });
}

describe('coverage spans', () => {
  test('adjacent and overlapping files merge; a month no file covers splits the extract', async () => {
    expect(
      await spans(`
        ('d1', '2018-06-30', 'employment_periods', 'incremental', '2006-01-01', '2018-05-01', 'delivery.json'),
        ('d2', '2021-06-30', 'employment_periods', 'incremental', '2018-06-01', '2021-05-01', 'delivery.json'),
        ('d1', '2018-06-30', 'benefit_spells', 'incremental', '2008-01-01', '2012-03-01', 'data'),
        ('d2', '2021-06-30', 'benefit_spells', 'incremental', '2012-05-01', '2021-05-01', 'delivery.json'),
        ('d3', '2021-07-31', 'benefit_spells', 'incremental', '2010-01-01', '2011-12-01', 'data')`),
    ).toEqual([
      // April 2012 is covered by no benefit file
      { extract: 'benefit_spells', span_from: '2008-01', span_to: '2012-03', source: 'data' },
      { extract: 'benefit_spells', span_from: '2012-05', span_to: '2021-05', source: 'delivery.json' },
      { extract: 'employment_periods', span_from: '2006-01', span_to: '2021-05', source: 'delivery.json' },
    ]);
  });

  test('a full file replaces the coverage of the files before it', async () => {
    expect(
      await spans(`
        ('d1', '2018-06-30', 'employment_periods', 'incremental', '2006-01-01', '2018-05-01', 'delivery.json'),
        ('d2', '2019-06-30', 'employment_periods', 'full', '2010-07-01', '2019-05-01', 'delivery.json'),
        ('d3', '2021-06-30', 'employment_periods', 'incremental', '2019-06-01', '2021-05-01', 'data')`),
    ).toEqual([{ extract: 'employment_periods', span_from: '2010-07', span_to: '2021-05', source: 'data and delivery.json' }]);
  });
});
