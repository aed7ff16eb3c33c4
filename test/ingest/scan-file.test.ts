/**
 * scanCsvFile (src/ingest/scan-file.ts) and openDeliveryFile
 * (src/ingest/regular-file.ts): one streaming pass per delivered CSV file,
 * with its caps on the edge, every stream error a refusal naming the file,
 * and only regular files inside the delivery opened.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { type PipelineError, PipelineFailure } from '../../src/errors.js';
import { checkUnchanged } from '../../src/ingest/regular-file.js';
import { hashDeliveryFile, type IngestLimits, scanCsvFile } from '../../src/ingest/scan-file.js';
import { makeTempDir } from '../support/delivery.js';

const LIMITS: IngestLimits = { maxFileMib: 65536, maxLineKib: 1 };

function deliveryDir(): string {
  const dir = join(makeTempDir(), 'd1');
  mkdirSync(dir);
  return dir;
}

function writeFile(name: string, bytes: Buffer | string): { dir: string; delivery: string; file: string } {
  const dir = deliveryDir();
  writeFileSync(join(dir, name), bytes);
  return { dir, delivery: 'd1', file: name };
}

/** The PipelineError a promise rejects with (fails the test if it resolves or throws anything else). */
async function refusal(promise: Promise<unknown>): Promise<PipelineError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PipelineFailure);
  return (error as PipelineFailure).error;
}

/** A CSV of `rows` data rows, each `recordBytes` long, with the given line ending. */
function csvWithRecords(rows: number, recordBytes: number, lineEnd = '\n'): string {
  const row = `P1,${'x'.repeat(recordBytes - 3)}`;
  return ['person_id,region', ...Array.from({ length: rows }, () => row)].map((line) => `${line}${lineEnd}`).join('');
}

describe('scanCsvFile', () => {
  test.each(['persons.csv', 'persons.csv.gz'])('%s: the sha256 of the delivered bytes, the records and the header line', async (name) => {
    const text = 'person_id,birth_year,sex,region\r\nP1,1980,F,"AMR\n01"\r\nP2,1975,M,\r\n';
    const bytes = name.endsWith('.gz') ? gzipSync(text) : Buffer.from(text);
    const scan = await scanCsvFile(writeFile(name, bytes), 2, LIMITS);
    expect(scan.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(scan.dataRecords).toBe(2);
    expect(scan.headerLine.toString()).toBe('person_id,birth_year,sex,region');
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('a record of exactly max_line_kib is read, one byte more is refused (%s)', async (_label, lineEnd) => {
    const scan = await scanCsvFile(writeFile('persons.csv', csvWithRecords(2, 1024, lineEnd)), 2, LIMITS);
    expect(scan.dataRecords).toBe(2);
    const error = await refusal(scanCsvFile(writeFile('persons.csv', csvWithRecords(2, 1025, lineEnd)), 2, LIMITS));
    expect(error).toEqual({ code: 'line_too_long', delivery: 'd1', file: 'persons.csv', record: 2, maxLineKib: 1 });
  });

  test('a file that holds no more than its stated rows at the longest line is read; a byte more is refused', async () => {
    // (row_count + 1) records of max_line_kib plus CRLF: 3 x 1026 bytes.
    const full = `${'h'.repeat(1024)}\r\n${'P'.repeat(1024)}\r\n${'Q'.repeat(1024)}\r\n`;
    expect((await scanCsvFile(writeFile('persons.csv', full), 2, LIMITS)).dataRecords).toBe(2);
    const error = await refusal(scanCsvFile(writeFile('persons.csv', `${full}\n`), 2, LIMITS));
    expect(error).toMatchObject({ code: 'file_too_large', limitBytes: 3 * 1026, basis: { limit: 'stated_rows', rowCount: 2 } });
  });

  test('a file past limits.max_file_mib is refused whatever its stated rows', async () => {
    const text = csvWithRecords(2200, 1000);
    const error = await refusal(scanCsvFile(writeFile('persons.csv.gz', gzipSync(text)), 1_000_000, { maxFileMib: 2, maxLineKib: 1 }));
    expect(error).toMatchObject({ code: 'file_too_large', limitBytes: 2 * 1024 * 1024, basis: { limit: 'max_file_mib', maxFileMib: 2 } });
  });

  test('a gzip bomb of rows is refused as soon as it holds more rows than stated', async () => {
    const block = gzipSync(Buffer.from('P1,1980,F,AMR01\n'.repeat(65536)));
    const bomb = Buffer.concat([gzipSync('person_id,birth_year,sex,region\n'), ...Array.from({ length: 4096 }, () => block)]);
    const error = await refusal(scanCsvFile(writeFile('persons.csv.gz', bomb), 3, { maxFileMib: 65536, maxLineKib: 1024 }));
    expect(error).toEqual({ code: 'row_count_exceeded', delivery: 'd1', file: 'persons.csv.gz', expected: 3 });
  });

  test('a gzip bomb of blank lines, which are no rows, is refused past what its stated rows can hold', async () => {
    const block = gzipSync(Buffer.alloc(1 << 20, '\n'));
    const bomb = Buffer.concat([gzipSync('person_id,birth_year,sex,region\n'), ...Array.from({ length: 4096 }, () => block)]);
    const error = await refusal(scanCsvFile(writeFile('persons.csv.gz', bomb), 3, { maxFileMib: 65536, maxLineKib: 1024 }));
    expect(error).toMatchObject({
      code: 'file_too_large',
      limitBytes: 4 * (1024 * 1024 + 2),
      basis: { limit: 'stated_rows', rowCount: 3 },
    });
  });

  test('a first line without a newline is kept only up to the limit and refused', async () => {
    const error = await refusal(scanCsvFile(writeFile('persons.csv.gz', gzipSync(Buffer.alloc(8 << 20, 'x'))), 0, LIMITS));
    expect(error).toMatchObject({ code: 'line_too_long', record: 1 });
  });

  test.each([
    ['an empty .gz file', Buffer.alloc(0), 'the file is empty, not gzip data'],
    ['a .gz file that is plain CSV', Buffer.from('person_id\nP1\n'), 'not gzip data although the name ends in .gz'],
    ['a truncated .gz file', gzipSync('person_id\nP1\nP2\n').subarray(0, 20), 'the gzip data ends early (the file is truncated)'],
    [
      'a .gz file with bytes after its gzip data',
      Buffer.concat([gzipSync('person_id\nP1\n'), Buffer.from('garbage')]),
      'corrupt gzip data',
    ],
  ])('%s is refused with the file named', async (_label, bytes, reason) => {
    const error = await refusal(scanCsvFile(writeFile('persons.csv.gz', bytes), 1, LIMITS));
    expect(error).toMatchObject({ code: 'file_unreadable', delivery: 'd1', file: 'persons.csv.gz' });
    expect((error as { reason: string }).reason).toContain(reason);
  });
});

describe('only regular files inside the delivery are opened', () => {
  test('a symbolic link to a file outside the delivery is refused, not followed', async () => {
    const outside = join(makeTempDir(), 'elsewhere.csv');
    writeFileSync(outside, 'person_id\nP1\n');
    const dir = deliveryDir();
    symlinkSync(outside, join(dir, 'persons.csv'));
    const error = await refusal(scanCsvFile({ dir, delivery: 'd1', file: 'persons.csv' }, 1, LIMITS));
    expect(error).toEqual({ code: 'delivery_entry_not_regular', delivery: 'd1', file: 'persons.csv', found: 'symbolic link' });
  });

  test('a symbolic link to a device is refused before anything is read', async () => {
    const dir = deliveryDir();
    symlinkSync('/dev/zero', join(dir, 'persons.parquet'));
    const error = await refusal(hashDeliveryFile({ dir, delivery: 'd1', file: 'persons.parquet' }));
    expect(error).toMatchObject({ code: 'delivery_entry_not_regular', found: 'symbolic link' });
  });

  test('a FIFO is refused without blocking on it', async () => {
    const dir = deliveryDir();
    execFileSync('mkfifo', [join(dir, 'persons.csv')]);
    const error = await refusal(scanCsvFile({ dir, delivery: 'd1', file: 'persons.csv' }, 1, LIMITS));
    expect(error).toMatchObject({ code: 'delivery_entry_not_regular', found: 'FIFO' });
  });

  test('a directory where a file is expected is refused', async () => {
    const dir = deliveryDir();
    mkdirSync(join(dir, 'persons.csv'));
    const error = await refusal(scanCsvFile({ dir, delivery: 'd1', file: 'persons.csv' }, 1, LIMITS));
    expect(error).toMatchObject({ code: 'delivery_entry_not_regular', found: 'directory' });
  });

  test('a file replaced after its scan, before DuckDB reads it by path, is refused', async () => {
    const ref = writeFile('persons.csv', 'person_id\nP1\n');
    const scan = await scanCsvFile(ref, 1, LIMITS);
    expect(() => checkUnchanged(ref, scan.identity)).not.toThrow();
    rmSync(join(ref.dir, ref.file));
    writeFileSync(join(ref.dir, ref.file), 'person_id\nP2\n');
    expect(() => checkUnchanged(ref, scan.identity)).toThrow(
      'd1/persons.csv: the file was replaced or changed while the delivery was being read',
    );
  });

  test('a missing file is named as missing', async () => {
    const error = await refusal(scanCsvFile({ dir: deliveryDir(), delivery: 'd1', file: 'persons.csv' }, 1, LIMITS));
    expect(error).toEqual({ code: 'delivery_file_missing', delivery: 'd1', file: 'persons.csv' });
  });
});
