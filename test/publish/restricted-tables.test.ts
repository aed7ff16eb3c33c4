/** The rows a restricted file is written from: the whole table, or one partition's rows without its column. */
import { describe, expect, test } from 'vitest';
import { partitionRangeSql, RESTRICTED_TABLES, restrictedRowsSql, storedInOrderSql } from '../../src/publish/restricted-tables.js';
import { withDatabase } from '../support/delivery.js';

const panel = RESTRICTED_TABLES.find((table) => table.partitionBy)! as (typeof RESTRICTED_TABLES)[number] & { partitionBy: string };
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

describe('storedInOrderSql', () => {
  /** Whether a panel inserted as `rows` (person_id, event_month) counts as stored in person order. */
  const inOrder = (rows: string) =>
    withDatabase(async (db) => {
      await db.run('test', `create table ${panel.from} as select * from (values ${rows}) as t(person_id, event_month)`);
      const [row] = await db.query<{ in_order: boolean }>('test', storedInOrderSql(panel));
      return row?.in_order;
    });

  test("each person's rows together and the persons in order, whatever the months' order within a person", async () => {
    expect(await inOrder("('p1', 0), ('p1', 1), ('p2', 1), ('p2', 0), ('p3', 0)")).toBe(true);
  });

  test('a person after a later one, or split by another, is not in order', async () => {
    expect(await inOrder("('p2', 0), ('p1', 0), ('p3', 0)")).toBe(false);
    expect(await inOrder("('p1', 0), ('p2', 0), ('p1', 1)")).toBe(false);
  });
});

describe('partitionRangeSql', () => {
  test('the rows of partitions first to last as stored, partition column kept', async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'test',
        `create table ${panel.from} as select * from (values ('p1', -1), ('p1', 0), ('p1', 2), ('p2', 0), ('p2', 3)) as t(person_id, event_month)`,
      );
      return db.query<Record<string, unknown>>('test', partitionRangeSql(panel, 0, 2));
    });
    expect(rows).toEqual([
      { person_id: 'p1', event_month: 0 },
      { person_id: 'p1', event_month: 2 },
      { person_id: 'p2', event_month: 0 },
    ]);
  });

  test('partition bounds that are not integers are refused', () => {
    expect(() => partitionRangeSql(panel, 0.5, 2)).toThrow(/must be integers/);
  });
});
