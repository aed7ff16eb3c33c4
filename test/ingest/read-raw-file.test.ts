/**
 * Reading a delivered file (src/ingest/read-raw-file.ts): every row keeps
 * its physical line, and a clean file gets its line numbers from the order
 * it was stored in, without a window over the file, also inside the
 * transaction a delivery loads in (where rowids start near 2^55).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { extractByName } from '../../src/contracts/extracts.js';
import type { Database } from '../../src/db/database.js';
import { readRawFile } from '../../src/ingest/read-raw-file.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';

const HEADER = 'person_id,birth_year,sex,region,birth_month,death_date,emigration_date';

async function read(db: Database, lines: string[]) {
  const path = join(makeTempDir(), 'persons.csv');
  writeFileSync(path, [HEADER, ...lines, ''].join('\n'));
  const counts = await readRawFile(db, {
    path,
    deliveryId: 'd1',
    fileName: 'persons.csv',
    extract: extractByName('persons')!,
    csv: { headerLine: Buffer.from(HEADER), maxLineSize: 1 << 20 },
  });
  const rows = await db.query<{ line_number: number; person_id: string }>(
    'test: raw rows',
    'select line_number::double as line_number, person_id from raw_rows order by line_number',
  );
  const malformed = await db.query<{ line_number: number }>(
    'test: malformed',
    'select line_number::double as line_number from raw_malformed order by line_number',
  );
  return { counts, rows, malformed: malformed.map((row) => row.line_number) };
}

const people = (count: number) => Array.from({ length: count }, (_, index) => `P${index},1980,F,,,,`);

describe('line numbers', () => {
  test.each([
    ['outside a transaction', false],
    ['inside the transaction a delivery loads in', true],
  ])('a clean file %s is numbered from its rowids: the n-th record on line n + 1', async (_, inTransaction) => {
    await withDatabase(async (db) => {
      if (inTransaction) await db.run('test: begin', 'begin transaction');
      // more rows than one row group (122,880), so a gap between groups would show
      const { counts, rows } = await read(db, people(130_000));
      expect(counts).toEqual({ parsed: 130_000, malformed: 0, lineNumbers: 'rowid' });
      expect(rows.length).toBe(130_000);
      expect(rows.every((row, index) => row.line_number === index + 2 && row.person_id === `P${index}`)).toBe(true);
    });
  });

  test('a file with malformed rows is counted past them, each record on its own physical line', async () => {
    await withDatabase(async (db) => {
      await db.run('test: begin', 'begin transaction');
      const lines = ['P0,1980,F,,,,', 'too,few', 'P1,1980,F,,,,', 'P2,1980,F,,,,', 'a,b,c,d,e,f,g,h,i', 'P3,1980,F,,,,'];
      const { counts, rows, malformed } = await read(db, lines);
      expect(counts).toEqual({ parsed: 4, malformed: 2, lineNumbers: 'counted' });
      expect(malformed).toEqual([3, 6]);
      expect(rows).toEqual([
        { line_number: 2, person_id: 'P0' },
        { line_number: 4, person_id: 'P1' },
        { line_number: 5, person_id: 'P2' },
        { line_number: 7, person_id: 'P3' },
      ]);
    });
  });
});
