/** The rows a restricted file is written from: the whole table, or one partition's rows without its column. */
import { describe, expect, test } from 'vitest';
import { RESTRICTED_TABLES, restrictedRowsSql } from '../../src/publish/restricted-tables.js';
import { withDatabase } from '../support/delivery.js';

const panel = RESTRICTED_TABLES.find((table) => table.partitionBy)!;
const unpartitioned = RESTRICTED_TABLES.find((table) => !table.partitionBy)!;

describe('restrictedRowsSql', () => {
  test("a partition's rows: only its value, in the table's order, the partition column left out", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'test',
        `create table ${panel.from} as
         select * from (values ('p2', 1, 10), ('p1', 1, 11), ('p1', 0, 12), ('p3', 1, 13), ('p2', 0, 14)) as t(person_id, event_month, hours)`,
      );
      return db.query<Record<string, unknown>>('test', restrictedRowsSql(panel, { value: 1 }));
    });
    expect(rows).toEqual([
      { person_id: 'p1', hours: 11 },
      { person_id: 'p2', hours: 10 },
      { person_id: 'p3', hours: 13 },
    ]);
  });

  test('a partition of an unpartitioned table, or a value that is not an integer, is refused', () => {
    expect(() => restrictedRowsSql(unpartitioned, { value: 1 })).toThrow(/not partitioned/);
    expect(() => restrictedRowsSql(panel, { value: 1.5 })).toThrow(/must be integers/);
    expect(() => restrictedRowsSql(panel, { value: null as unknown as number })).toThrow(/must be integers/);
  });
});
