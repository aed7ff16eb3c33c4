/** The rows a restricted file is written from: the whole table, or one partition's rows without its column. */
import { describe, expect, test } from 'vitest';
import { partitionRangeSql, RESTRICTED_TABLES, restrictedRowsSql, storedInOrderSql } from '../../src/publish/restricted-tables.js';
import { withDatabase } from '../support/delivery.js';

const panel = RESTRICTED_TABLES.find((table) => table.partitionBy)! as (typeof RESTRICTED_TABLES)[number] & { partitionBy: string };
const unpartitioned = RESTRICTED_TABLES.find((table) => !table.partitionBy)!;

/** The panel's described columns but person_id, event_month and hours. */
const others = Object.keys(panel.columns).filter((column) => !['person_id', 'event_month', 'hours'].includes(column));

/**
 * The panel from (person_id, event_month, hours) rows: its other described columns null, and in front a column the
 * run's statements use that no file holds (person_key).
 */
const createPanel = (rows: string) =>
  `create table ${panel.from} as
   select 7 as person_key, person_id, event_month, hours, ${others.map((column) => `null as ${column}`).join(', ')}
   from (values ${rows}) as t(person_id, event_month, hours)`;

describe('restrictedRowsSql', () => {
  test("a partition's rows: only its value, in the table's order, its columns but the partition's and the warehouse's", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run('test', createPanel("('p2', 1, 10), ('p1', 1, 11), ('p1', 0, 12), ('p3', 1, 13), ('p2', 0, 14)"));
      return db.query<Record<string, unknown>>('test', restrictedRowsSql(panel, { value: 1 }));
    });
    expect(rows.map((row) => [row.person_id, row.hours])).toEqual([
      ['p1', 11],
      ['p2', 10],
      ['p3', 13],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['person_id', 'hours', ...others]);
  });

  test("a whole table's rows: its columns in the table's order but the warehouse's", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run('test', createPanel("('p2', 1, 10), ('p1', 1, 11)"));
      return db.query<Record<string, unknown>>('test', restrictedRowsSql(panel));
    });
    expect(rows.map((row) => row.person_id)).toEqual(['p1', 'p2']);
    expect(Object.keys(rows[0]!)).toEqual(['person_id', 'event_month', 'hours', ...others]);
  });

  test('no column a table keeps to the warehouse is described: the codebook describes what the files hold', () => {
    for (const table of RESTRICTED_TABLES) {
      for (const column of table.warehouseOnly ?? []) expect(Object.keys(table.columns), table.file).not.toContain(column);
    }
    expect(panel.warehouseOnly).toEqual(['person_key']);
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
  test("the rows of partitions first to last as stored, partition column kept, the warehouse's left out", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run('test', createPanel("('p1', -1, 1), ('p1', 0, 2), ('p1', 2, 3), ('p2', 0, 4), ('p2', 3, 5)"));
      return db.query<Record<string, unknown>>('test', partitionRangeSql(panel, 0, 2));
    });
    expect(rows.map((row) => [row.person_id, row.event_month])).toEqual([
      ['p1', 0],
      ['p1', 2],
      ['p2', 0],
    ]);
    expect(Object.keys(rows[0]!)).toEqual(['person_id', 'event_month', 'hours', ...others]);
  });

  test('partition bounds that are not integers are refused', () => {
    expect(() => partitionRangeSql(panel, 0.5, 2)).toThrow(/must be integers/);
  });
});
