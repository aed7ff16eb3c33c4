/** The restricted panel's hive-partitioned files: one person-ordered file per month, the same bytes on any thread count. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Database, quoteLiteral } from '../../src/db/database.js';
import { writePartitioned } from '../../src/publish/index.js';
import { RESTRICTED_TABLES } from '../../src/publish/restricted-tables.js';

const panel = RESTRICTED_TABLES.find((table) => table.partitionBy === 'event_month')! as (typeof RESTRICTED_TABLES)[number] & {
  partitionBy: string;
};
const work = mkdtempSync(join(tmpdir(), 'ipslink-partitioned-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Persons of the panel stored in person order: enough rows per month that DuckDB's flushes of a partitioned COPY
 * (every 524,288 rows of its partitions together) split files into row groups, whose sizes then follow from how
 * many partitions the COPY writes.
 */
const PERSONS = 100_000;
/** More months than one COPY writes (PARTITIONS_PER_COPY), negative ones included. */
const MONTHS = { first: -6, last: 13 };

/** The panel's described columns but those the test's panel gives values. */
const others = Object.keys(panel.columns).filter((column) => !['person_id', 'event_month', 'observed', 'hours'].includes(column));

/** Writes a panel of `persons` x MONTHS, inserted in `order`, with `threads` DuckDB threads; gives each file's sha256 and what the files hold. */
async function writePanel(threads: number, order: 'person' | 'scrambled', persons: number) {
  const db = await Database.open(':memory:', { threads });
  const dir = join(work, `panel-${threads}-${order}`);
  try {
    await db.run(
      'test: panel',
      `create table ${panel.from} as
       select 'P' || lpad(person::varchar, 5, '0') as person_id, month::integer as event_month,
           (person * 7 + month * 3) % 11 > 4 as observed, ((person * 13 + month) % 97)::decimal(18, 2) as hours,
           ${others.map((column) => `null as ${column}`).join(', ')},
           person::integer as person_key
       from range(${persons}) as persons(person), range(${MONTHS.first}, ${MONTHS.last + 1}) as months(month)
       order by ${order === 'person' ? 'person_id, event_month' : 'hash(person_id, event_month)'}`,
    );
    await writePartitioned(db, dir, panel);
    const files = readdirSync(dir)
      .sort()
      .map((partition) => ({ partition, names: readdirSync(join(dir, partition)) }));
    const [check] = await db.query<{ rows: number; in_file: number; out_of_order: number; missing: number }>(
      'test: files',
      `select
         (select count(*) from read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}))::integer as rows,
         (select count(*) from (describe select * from read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, hive_partitioning = false))
          where column_name = 'event_month')::integer as in_file,
         (select count(*) from (
            select person_id < lag(person_id) over (partition by filename order by file_row_number) as backwards
            from read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, filename = true, file_row_number = true)
          ) where backwards)::integer as out_of_order,
         (select count(*) from (select person_id, event_month, observed, hours from ${panel.from}
                                except all
                                select person_id, event_month, observed, hours
                                from read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, hive_partitioning = true)))::integer as missing`,
    );
    // the table's columns but the partition's and the one the warehouse keeps (person_key)
    const columns = await db.query<{ column_name: string }>(
      'test: columns',
      `select column_name from (describe select * from read_parquet(${quoteLiteral(join(dir, '*', '*.parquet'))}, hive_partitioning = false))`,
    );
    expect(columns.map((column) => column.column_name)).toEqual(['person_id', 'observed', 'hours', ...others]);
    const hashes = files.map(({ partition }) =>
      createHash('sha256')
        .update(readFileSync(join(dir, partition, 'data_0.parquet')))
        .digest('hex'),
    );
    return { files, check, hashes };
  } finally {
    db.close();
  }
}

describe('writePartitioned', () => {
  test('a panel stored in person order: one person-ordered file per month, the month in its path only, the same bytes on 1 and 3 threads', async () => {
    const one = await writePanel(1, 'person', PERSONS);
    const three = await writePanel(3, 'person', PERSONS);
    const months = MONTHS.last - MONTHS.first + 1;
    expect(one.files).toHaveLength(months);
    expect(one.files.every(({ partition, names }) => /^event_month=-?\d+$/.test(partition) && names.join() === 'data_0.parquet')).toBe(
      true,
    );
    expect(one.check).toEqual({ rows: PERSONS * months, in_file: 0, out_of_order: 0, missing: 0 });
    expect(three.hashes).toEqual(one.hashes);
  });

  test('a panel stored in another order: its files are still in person order, with every row', async () => {
    const persons = 400;
    const { files, check } = await writePanel(2, 'scrambled', persons);
    expect(files).toHaveLength(MONTHS.last - MONTHS.first + 1);
    expect(check).toEqual({ rows: persons * (MONTHS.last - MONTHS.first + 1), in_file: 0, out_of_order: 0, missing: 0 });
  });
});
