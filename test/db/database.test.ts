/**
 * --debug logging of SQL runs (src/db/database.ts): a file run names the
 * file, the rows of each table it writes and its duration; a labelled
 * statement its duration. With debug off nothing is logged or counted.
 * The file used, sql/reference/01_create_state_pension_age.sql, writes 13
 * birth-date ranges and one row per birth month of 1900-2100 (201 x 12).
 */
import { afterEach, beforeEach, describe, expect, type MockInstance, test, vi } from 'vitest';
import { tablesWrittenBy } from '../../src/db/database.js';
import { setLogging } from '../../src/log.js';
import { withDatabase } from '../support/delivery.js';

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
