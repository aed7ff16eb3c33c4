/**
 * --debug logging of SQL runs (src/db/database.ts): a file run names the
 * file, the rows of each table it writes and its duration; a labelled
 * statement its duration. With debug off nothing is logged or counted.
 * The file used, sql/reference/01_create_state_pension_age.sql, writes 13
 * birth-date ranges and one row per birth month of 1900-2100 (201 x 12).
 * Also readColumns, sibling connections, transactions and the run's
 * in-memory catalog and its checkpoint.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, type MockInstance, test, vi } from 'vitest';
import { Database, RUN_CATALOG, tablesWrittenBy } from '../../src/db/database.js';
import { setLogging } from '../../src/log.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { uncompressedSegments } from '../support/storage.js';

const FILE = 'reference/01_create_state_pension_age.sql';

let stderr: MockInstance<typeof process.stderr.write>;

function logged(): string[] {
  return stderr.mock.calls.map(([chunk]) => String(chunk));
}

beforeEach(() => {
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  stderr.mockRestore();
  setLogging({ debug: false, format: 'text' });
});

describe('runFile with --debug', () => {
  test('logs the file, the rows of each table it writes and its duration', async () => {
    setLogging({ debug: true });
    await withDatabase((db) => db.runFile(FILE));
    expect(logged()).toEqual([
      expect.stringMatching(
        /^\[debug\] sql\/reference\/01_create_state_pension_age\.sql: \d+ ms; state_pension_age 13 rows; state_pension_month 2412 rows\n$/,
      ),
    ]);
  });

  test('in JSON log format, the line is one object with level debug', async () => {
    setLogging({ debug: true, format: 'json' });
    await withDatabase((db) => db.runFile(FILE));
    const [line, ...rest] = logged();
    expect(rest).toEqual([]);
    expect(JSON.parse(line!)).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'debug',
      event: 'sql_file',
      message: expect.stringMatching(/^sql\/reference\/01_create_state_pension_age\.sql: \d+ ms; /),
      file: 'sql/reference/01_create_state_pension_age.sql',
      duration_ms: expect.any(Number),
      counts: { state_pension_age: 13, state_pension_month: 2412 },
    });
  });

  test('a labelled statement is logged with its duration', async () => {
    setLogging({ debug: true });
    await withDatabase((db) => db.run('test: create t', 'create table t as select 1 as x'));
    expect(logged()).toEqual([expect.stringMatching(/^\[debug\] test: create t: \d+ ms\n$/)]);
  });
});

describe('runFile without --debug', () => {
  test('logs nothing and counts no rows', async () => {
    setLogging({ debug: false });
    await withDatabase(async (db) => {
      const count = vi.spyOn(db, 'count');
      await db.runFile(FILE);
      await db.run('test: create t', 'create table t as select 1 as x');
      expect(count).not.toHaveBeenCalled();
    });
    expect(logged()).toEqual([]);
  });
});

describe('tablesWrittenBy', () => {
  test('names created and inserted tables once, not views, macros or commented-out statements', () => {
    const sql = `-- Writes: a. create table commented_out as select 1;
create or replace temp table a as select 1 as x;
create or replace view v as select * from a;
create or replace macro m(x) as x + 1;
/* insert into also_commented_out values (1); */
insert into a select 2;
create table if not exists "Quoted ""name""" (x integer);
insert or replace into b select * from a;`;
    expect(tablesWrittenBy(sql)).toEqual(['a', 'Quoted "name"', 'b']);
  });
});

describe('readColumns', () => {
  test('reads every chunk of a large result: numbers as Float64Array (null as NaN), the rest as strings (null as null)', async () => {
    const rows = 150_000; // past the first Float64Array's 65,536 values and many 2,048-row chunks
    const columns = await withDatabase((db) =>
      db.readColumns(
        'test: columns',
        `select i::integer as n, case when i % 7 = 0 then null else i / 2 end::double as x,
             'P' || i as id, case when i % 5 = 0 then null else 'level ' || (i % 3) end as level
         from range(${rows}) as t(i) order by i`,
      ),
    );
    const n = columns.n as Float64Array;
    const x = columns.x as Float64Array;
    const id = columns.id as (string | null)[];
    const level = columns.level as (string | null)[];
    expect([n.length, x.length, id.length, level.length]).toEqual([rows, rows, rows, rows]);
    for (const i of [0, 1, 2047, 2048, 65_535, 65_536, 65_537, rows - 1]) {
      expect(n[i]).toBe(i);
      if (i % 7 === 0) expect(x[i]).toBeNaN();
      else expect(x[i]).toBe(i / 2);
      expect(id[i]).toBe(`P${i}`);
      expect(level[i]).toBe(i % 5 === 0 ? null : `level ${i % 3}`);
    }
    expect(new Set(id).size).toBe(rows);
  });
});

describe('sibling', () => {
  test('is another connection to the same database; closing it leaves the first open', async () => {
    const rows = await withDatabase(async (db) => {
      await db.run('create', 'create table shared as select 1 as n');
      const sibling = await db.sibling();
      await sibling.run('insert', 'insert into shared values (2)');
      // a temporary table is its connection's own
      await sibling.run('temp', 'create temp table own as select 1 as n');
      sibling.close();
      await expect(db.query('own', 'select * from own')).rejects.toThrow(/own/);
      return db.query<{ n: number }>('read', 'select n from shared order by n');
    });
    expect(rows).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe('statements are released once they have run', () => {
  // A CTE read twice is materialized, and its prepared plan holds the rows until the statement is destroyed.
  const MATERIALIZING = `with x as (select range as r, range % 7 as g from range(300000))
select a.g, count(*) as n from x as a join x as b using (r) group by a.g order by a.g`;
  const heldBytes = async (db: Database) => {
    const [row] = await db.query<{ held: number }>(
      'held',
      "select coalesce(sum(memory_usage_bytes), 0)::double as held from duckdb_memory() where tag = 'COLUMN_DATA'",
    );
    return row!.held;
  };

  test('by run, query and a failing statement', async () => {
    const held = await withDatabase(async (db) => {
      await db.run('materializing', `create table counts as ${MATERIALIZING}`);
      await db.query('materializing', MATERIALIZING);
      await expect(db.run('failing', `${MATERIALIZING.replace('order by a.g', '')} having error('stop') is null`)).rejects.toThrow(/stop/);
      return heldBytes(db);
    });
    expect(held).toBe(0);
  });

  test('by stream, when its consumer returns or throws', async () => {
    const held = await withDatabase(async (db) => {
      const read = await db.stream('materializing', MATERIALIZING, {}, async (result) => (await result.fetchChunk())?.rowCount);
      expect(read).toBe(7);
      await expect(
        db.stream('materializing', MATERIALIZING, {}, async () => {
          throw new Error('the consumer failed');
        }),
      ).rejects.toThrow('the consumer failed');
      return heldBytes(db);
    });
    expect(held).toBe(0);
  });
});

describe('inTransaction', () => {
  test('commits all of its work, or, when the work throws, none of it and passes the error on', async () => {
    const tables = await withDatabase(async (db) => {
      const names = async () =>
        (await db.query<{ name: string }>('test', 'select table_name as name from duckdb_tables() order by name')).map((row) => row.name);
      expect(
        await db.inTransaction('test', async () => {
          await db.run('test', 'create table kept (x integer); insert into kept values (1)');
          return 'done';
        }),
      ).toBe('done');
      await expect(
        db.inTransaction('test', async () => {
          await db.run('test', 'create table dropped (x integer); insert into kept values (2)');
          throw new Error('half way');
        }),
      ).rejects.toThrow('half way');
      // the connection is out of the failed transaction: a later statement runs
      return { names: await names(), rows: await db.query<{ x: number }>('test', 'select x from kept') };
    });
    expect(tables).toEqual({ names: ['kept'], rows: [{ x: 1 }] });
  });
});

describe('attachRunCatalog and dropFileTablesExcept', () => {
  /** Each table and view of the database, as `catalog.name`. */
  const catalogOf = async (db: Database) =>
    (
      await db.query<{ name: string }>(
        'tables',
        `select database_name || '.' || table_name as name from duckdb_tables() where not internal
         union all select database_name || '.' || view_name from duckdb_views() where not internal order by name`,
      )
    ).map((row) => row.name);

  test("makes the run's tables in memory and the file's in inFileCatalog; names resolve in both; siblings take it", async () => {
    const path = join(makeTempDir('ipslink-run-catalog-'), 'warehouse.duckdb');
    const db = await Database.open(path);
    await db.run('file table', 'create table delivered as select 1 as n');
    await db.attachRunCatalog();
    await db.run('run table', 'create table derived as select n + 10 as n from delivered');
    const sibling = await db.sibling();
    await sibling.run('sibling table', 'create table beside as select n + 1 as n from derived');
    await db.inFileCatalog(() => db.run('file table', 'create table loaded as select n from delivered'));
    await expect(db.inFileCatalog(() => db.run('failing', 'create table loaded_twice as select nothing'))).rejects.toThrow(/nothing/);
    await db.run('run table again', 'create table after as select * from loaded');
    expect(await catalogOf(db)).toEqual([
      `${RUN_CATALOG}.after`,
      `${RUN_CATALOG}.beside`,
      `${RUN_CATALOG}.derived`,
      'warehouse.delivered',
      'warehouse.loaded',
    ]);
    expect(await sibling.query('read', 'select * from beside')).toEqual([{ n: 12 }]);
    sibling.close();
    db.close();

    const reopened = await Database.open(path);
    expect(await catalogOf(reopened)).toEqual(['warehouse.delivered', 'warehouse.loaded']);
    reopened.close();
  });

  test('dropFileTablesExcept drops every table and view but those kept', async () => {
    const names = await withDatabase(async (db) => {
      await db.run(
        'tables',
        'create table kept as select 1 as n; create table derived as select 2 as n; create view shown as select * from kept',
      );
      await db.dropFileTablesExcept(['kept', 'absent']);
      return catalogOf(db);
    });
    expect(names).toEqual(['memory.kept']);
  });

  test('without it, inFileCatalog runs the work as it is', async () => {
    const names = await withDatabase(async (db) => {
      await db.inFileCatalog(() => db.run('table', 'create table t as select 1 as n'));
      return catalogOf(db);
    });
    expect(names).toEqual(['memory.t']);
  });
});

describe('checkpointRunCatalog', () => {
  test("compresses the run catalog's tables when no other connection is writing", async () => {
    const db = await Database.open(join(makeTempDir('ipslink-checkpoint-'), 'warehouse.duckdb'));
    try {
      await db.attachRunCatalog();
      // below DuckDB's own checkpoint threshold: stored as written
      await db.run('run table', 'create table months as select range // 1000 as person, range % 61 as event_month from range(200000)');
      expect(await uncompressedSegments(db, 'months')).toBeGreaterThan(0);
      expect(await db.checkpointRunCatalog('checkpoint')).toBe(true);
      expect(await uncompressedSegments(db, 'months')).toBe(0);
    } finally {
      db.close();
    }
  });

  test('leaves it to DuckDB while a sibling is writing, and says so at --debug', async () => {
    setLogging({ debug: true, format: 'json' });
    const db = await Database.open(join(makeTempDir('ipslink-checkpoint-'), 'warehouse.duckdb'), { threads: 1 });
    try {
      await db.attachRunCatalog();
      await db.run('run table', 'create table months as select range as n from range(200000)');
      const sibling = await db.sibling();
      // a write of seconds on one thread, under way well before the checkpoint is asked for
      const writing = sibling.run('long write', 'create table sorted as select md5(range::varchar) as h from range(4000000) order by h');
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(await db.checkpointRunCatalog('checkpoint')).toBe(false);
      } finally {
        await writing;
        sibling.close();
      }
      expect(await uncompressedSegments(db, 'months')).toBeGreaterThan(0);
      expect(logged().some((line) => line.includes('"event":"checkpoint_deferred"'))).toBe(true);
    } finally {
      db.close();
    }
  });

  test('without a run catalog there is nothing to compress', async () => {
    expect(await withDatabase((db) => db.checkpointRunCatalog('checkpoint'))).toBe(false);
  });
});
