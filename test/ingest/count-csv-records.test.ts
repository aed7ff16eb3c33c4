/**
 * countCsvRecords / CsvRecordCounter (src/ingest/count-csv-records.ts): data records of a delivered CSV,
 * quote-aware, whatever the chunking, and the same count DuckDB's read_csv gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { quoteLiteral } from '../../src/db/database.js';
import { CsvRecordCounter, countCsvRecords } from '../../src/ingest/count-csv-records.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { seededUniform } from '../support/seeded-random.js';

const CASES: [string, string, number][] = [
  ['an empty file', '', 0],
  ['a header only', 'a,b\n', 0],
  ['a header only, without a final newline', 'a,b', 0],
  ['two rows', 'a,b\n1,2\n3,4\n', 2],
  ['two rows without a final newline', 'a,b\n1,2\n3,4', 2],
  ['two rows with CRLF', 'a,b\r\n1,2\r\n3,4\r\n', 2],
  ['two rows with CRLF and no final newline', 'a,b\r\n1,2\r\n3,4', 2],
  ['newlines inside quotes', 'a,b\n"x\ny",2\n3,"4\r\n\r\n5"\n', 2],
  ['"" escapes, one before a newline inside quotes', 'a,b\n"say ""hi""\n",2\n"""",3\n', 2],
  ['a quoted comma and an empty quoted field', 'a,b\n"1,5",""\n', 1],
  ['blank lines, which are no records', 'a,b\n\n1,2\r\n\r\n3,4\n\n', 2],
  ['an unterminated quote, which runs to the end', 'a,b\n1,"2\n3,4\n', 1],
  ['a quote inside an unquoted value, which is a literal', 'a,b\n1,2"x\n3,4\n', 2],
  ['a quote after a closed quoted value, a literal too', 'a,b\n1,"2"x\n3,4\n', 2],
  ['spaces between the comma and an opening quote', 'a,b\n1, "2\n3"\n5,6\n', 2],
];

function countInChunks(text: string, chunkBytes: number): number {
  const bytes = Buffer.from(text);
  const counter = new CsvRecordCounter();
  for (let start = 0; start < bytes.length; start += chunkBytes) counter.push(bytes.subarray(start, start + chunkBytes));
  return counter.dataRecords;
}

describe('countCsvRecords', () => {
  test.each(CASES)('%s: %j has %i data records', async (_label, text, expected) => {
    const path = join(makeTempDir(), 'file.csv');
    writeFileSync(path, text);
    expect(await countCsvRecords(path)).toBe(expected);
  });

  test.each(CASES)('%s: the count is the same in chunks of 1 to 7 bytes', (_label, text, expected) => {
    for (let chunkBytes = 1; chunkBytes <= 7; chunkBytes++) expect(countInChunks(text, chunkBytes)).toBe(expected);
  });

  test('a .csv.gz file is decompressed on the fly', async () => {
    const path = join(makeTempDir(), 'file.csv.gz');
    writeFileSync(path, gzipSync('a,b\r\n"x\r\ny",2\r\n3,4'));
    expect(await countCsvRecords(path)).toBe(2);
  });

  test('a file that is not gzip is an error, not a count', async () => {
    const path = join(makeTempDir(), 'file.csv.gz');
    writeFileSync(path, 'a,b\n1,2\n');
    await expect(countCsvRecords(path)).rejects.toThrow(/header/);
  });

  test('a Uint8Array chunk (as fetch gives) counts like a Buffer', () => {
    const counter = new CsvRecordCounter();
    counter.push(new TextEncoder().encode('a\n"1\n'));
    counter.push(new TextEncoder().encode('"\n2\n'));
    expect(counter.dataRecords).toBe(2);
  });
});

describe('CsvRecordCounter.longestRecord', () => {
  test.each([
    ['LF', 'a,b\n1,2345\n12,3\n', { bytes: 6, number: 2 }],
    ['CRLF, whose CR is no part of the record', 'a,b\r\n1,2345\r\n12,3\r\n', { bytes: 6, number: 2 }],
    ['a newline inside quotes, which joins two lines into one record', 'a,b\n1,"23\n45"\n6,7\n', { bytes: 9, number: 2 }],
    ['the last record without a final newline', 'a,b\n1,2\n123456,7', { bytes: 8, number: 3 }],
    ['the header', 'abcdef,b\n1,2\n', { bytes: 8, number: 1 }],
    ['a blank line after the header, numbered as the record after it', 'a,b\n          \n1,2\n', { bytes: 10, number: 2 }],
  ])('%s', (_label, text, expected) => {
    for (let chunkBytes = 1; chunkBytes <= 7; chunkBytes++) {
      const counter = new CsvRecordCounter();
      const bytes = Buffer.from(text);
      for (let start = 0; start < bytes.length; start += chunkBytes) counter.push(bytes.subarray(start, start + chunkBytes));
      expect([chunkBytes, counter.longestRecord]).toEqual([chunkBytes, expected]);
    }
  });

  test('a record still open counts while it streams in, so a file without a newline is caught early', () => {
    const counter = new CsvRecordCounter();
    counter.push(Buffer.from('a,b\n1,'));
    counter.push(Buffer.alloc(5000, 'x'));
    expect(counter.longestRecord).toEqual({ bytes: 5002, number: 2 });
  });
});

/** Rows of random fields with commas, quotes, CR, LF and CRLF inside quotes, CRLF line ends and blank lines. */
function trickyCsv(rows: number, seed: number): string {
  const uniform = seededUniform(seed);
  const pieces = ['x', 'abc', ',', '"', '\n', '\r\n', '\r', ' ', 'é'];
  const field = () => {
    const text = Array.from({ length: Math.floor(uniform() * 6) }, () => pieces[Math.floor(uniform() * pieces.length)]).join('');
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = ['a,b,c'];
  for (let row = 0; row < rows; row++) {
    lines.push([field(), field(), `r${row}`].join(','));
    if (uniform() < 0.05) lines.push('');
  }
  return `${lines.join(uniform() < 0.5 ? '\n' : '\r\n')}\n`;
}

async function countWithDuckDb(path: string, columns: readonly string[]): Promise<number> {
  const columnTypes = columns.map((column) => `${quoteLiteral(column)}: 'VARCHAR'`).join(', ');
  return withDatabase(async (db) => {
    const [row] = await db.query<{ rows: number }>(
      'count rows',
      `select count(*)::double as rows from read_csv(${quoteLiteral(path)}, header = true, auto_detect = false,
         delim = ',', quote = '"', escape = '"', columns = {${columnTypes}})`,
    );
    return row!.rows;
  });
}

describe('countCsvRecords agrees with DuckDB read_csv', () => {
  test('on 2,000 rows of quotes, commas and line breaks inside quotes', async () => {
    const path = join(makeTempDir(), 'tricky.csv');
    writeFileSync(path, trickyCsv(2000, 11));
    expect(await countCsvRecords(path)).toBe(2000);
    expect(await countWithDuckDb(path, ['a', 'b', 'c'])).toBe(2000);
  });

  test.each([
    ['a quote inside an unquoted value', 'a,b\n1,2"x\n3,4\n'],
    ['text after a closing quote', 'a,b\n1,"2"x\n3,4\n'],
    ['quotes inside values over two lines', 'a,b\n1,x"2\n3"\n5,6\n'],
    ['spaces before an opening quote', 'a,b\n1, "2\n3"\n5,6\n'],
    ['an escaped quote before a newline inside quotes', 'a,b\n1,"say ""hi""\nthere"\n5,6\n'],
    ['an unterminated quote', 'a,b\n1,"2\n3,4\n'],
    ['a row with too many fields and one with too few', 'a,b\n1,2,3\n4\n5,6\n'],
  ])('on %s, counting rejected lines: parsed + rejected = the count', async (_label, text) => {
    const path = join(makeTempDir(), 'malformed.csv');
    writeFileSync(path, text);
    const read = await withDatabase(async (db) => {
      const [row] = await db.query<{ rows: number }>(
        'count rows and rejects',
        `select count(*)::double as rows from read_csv(${quoteLiteral(path)}, header = true, auto_detect = false,
           delim = ',', quote = '"', escape = '"', columns = {'a': 'VARCHAR', 'b': 'VARCHAR'}, store_rejects = true)`,
      );
      const [rejected] = await db.query<{ lines: number }>(
        'rejected lines',
        'select count(distinct line)::double as lines from reject_errors',
      );
      return row!.rows + rejected!.lines;
    });
    expect(await countCsvRecords(path)).toBe(read);
  });

  test('on every file of a synthesized delivery, and both equal its delivery.json row counts', async () => {
    const outDir = join(makeTempDir(), 'delivery');
    await synthesizeDelivery({ outDir, persons: 300, seed: 5 });
    const manifest = JSON.parse(readFileSync(join(outDir, 'delivery.json'), 'utf8')) as {
      files: { name: string; row_count: number }[];
    };
    for (const file of manifest.files) {
      const path = join(outDir, file.name);
      expect([file.name, await countCsvRecords(path)]).toEqual([file.name, file.row_count]);
      expect([file.name, await countWithDuckDb(path, headerOf(path))]).toEqual([file.name, file.row_count]);
    }
  });
});

function headerOf(gzippedCsv: string): string[] {
  return gunzipSync(readFileSync(gzippedCsv)).toString('utf8').split('\n', 1)[0]!.split(',');
}
