/**
 * Hostile and broken deliveries (issue 12): bounded resources, no row lost
 * without trace, no value and no raw name in any message, nothing read from
 * outside its delivery. The CLI cases run `ipslink validate` as a child
 * process and check what an operator sees: exit 4, one `ipslink:` line naming
 * the file, no stack trace, no planted pseudonym.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { messageFor, PipelineFailure, printableName } from '../../src/errors.js';
import { DEFAULT_INGEST_LIMITS, type IngestOptions, ingestDeliveries } from '../../src/ingest/index.js';
import { makeTempDir, withDatabase, writeDelivery } from '../support/delivery.js';
import { runCli } from '../support/run-cli.js';
import { writePersonsBytes } from './delivery-bytes.js';

/** A pseudonym planted in every hostile file: it must never reach a message. */
const PSEUDONYM = 'P7e57a1b2c3';
const HEADER = 'person_id,birth_year,sex,region';
const ROW = `${PSEUDONYM},1980,F,AMR01`;

async function ingest(landing: string, limits?: Partial<NonNullable<IngestOptions['limits']>>) {
  return withDatabase((db) =>
    ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r', limits: { ...DEFAULT_INGEST_LIMITS, ...limits } }),
  );
}

/** The refusal `ingest` ends with, as the CLI would print it. */
async function refusalOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PipelineFailure);
  const { error: pipelineError } = error as PipelineFailure;
  return { code: pipelineError.code, message: messageFor(pipelineError) };
}

describe('nothing is lost without trace', () => {
  test('a line longer than DuckDB reads (40 MB) with a row count that matches is refused by limits.max_line_kib', async () => {
    const landing = makeTempDir();
    // 60 rows state room for 61 MiB, so the file passes the size cap and only its line length can refuse it.
    const huge = `P2,1975,M,${'x'.repeat(40_000_000)}`;
    const rows = [ROW, huge, ...Array.from({ length: 58 }, (_, index) => `P${index},1990,M,`)];
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from([HEADER, ...rows, ''].join('\n')), 60);
    const { code, message } = await refusalOf(ingest(landing));
    expect(code).toBe('line_too_long');
    expect(message).toBe(
      'd1/persons.csv: record 3 (the header is record 1) is longer than limits.max_line_kib (1024 KiB); ' +
        'a quote left open joins lines, or the file is not this extract',
    );
  });

  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('with max_line_kib 1, a record of 1024 bytes loads and reconciles, one of 1025 is refused (%s)', async (_label, lineEnd) => {
    const record = (bytes: number) => `P0000000002,1975,M,${'x'.repeat(bytes - 19)}`;
    const fileWith = (bytes: number) => Buffer.from([HEADER, ROW, record(bytes), ''].join(lineEnd));
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv', fileWith(1024), 2);
    const report = await ingest(landing, { maxLineKib: 1 });
    const [file] = report.files;
    expect(file).toMatchObject({ rows_read: 2 });
    expect(file!.rows_read).toBe(file!.rows_accepted + file!.rows_rejected);

    const refused = makeTempDir();
    writePersonsBytes(refused, 'd1', 'persons.csv', fileWith(1025), 2);
    expect(await refusalOf(ingest(refused, { maxLineKib: 1 }))).toMatchObject({ code: 'line_too_long' });
  });

  test('when the CSV reader reads fewer records than the quote-aware count, the file is refused with both numbers', async () => {
    // `"A" "B<newline>C"`: DuckDB reopens the quote after the space and joins two lines; the count does not.
    const landing = makeTempDir();
    const text = [HEADER, `${PSEUDONYM},1980,F,"A" "B`, 'C"', 'P3,1990,M,', ''].join('\n');
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from(text), 3);
    const { code, message } = await refusalOf(ingest(landing));
    expect(code).toBe('record_count_mismatch');
    expect(message).toMatch(/^d1\/persons\.csv: counted 3 data records, the CSV reader read 2 \(\d+ parsed \+ \d+ malformed\)/);
  });

  test('a wrong row count is refused from the streaming count, before DuckDB reads the file', async () => {
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from([HEADER, ROW, ''].join('\n')), 2);
    expect((await refusalOf(ingest(landing))).message).toContain('d1/persons.csv: read 1 data rows, delivery.json says 2');
  });

  test('mixed line endings, which DuckDB cannot parse, are a refusal naming the file, not an internal error', async () => {
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from(`${HEADER}\n${ROW}\r\nP3,1990,M,\n`), 2);
    const { code, message } = await refusalOf(ingest(landing));
    expect(code).toBe('file_unreadable');
    expect(message).toBe("d1/persons.csv: cannot be read: DuckDB's reader refuses its content (Invalid Input Error); ask for a fresh copy");
  });
});

describe("DuckDB's memory (its share of resources.memory_limit)", () => {
  test('a file that needs more is refused with the file and the limit named, nothing loaded', async () => {
    const landing = makeTempDir();
    const rows = Array.from({ length: 50_000 }, (_, index) => `P${String(index).padStart(10, '0')},1980,F,AMR01`);
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: [HEADER, ...rows, ''].join('\n') }]);
    const { refusal, loaded } = await withDatabase(async (db) => {
      await db.run('test: tiny memory', "set memory_limit = '1MB'");
      const refusal = await refusalOf(ingestDeliveries(db, { landing, deliveries: 'all', runId: 'r', limits: DEFAULT_INGEST_LIMITS }));
      await db.run('test: memory back', 'reset memory_limit');
      return { refusal, loaded: await db.query<{ rows: number }>('test: loaded', 'select count(*)::integer as rows from persons') };
    });
    expect(refusal.code).toBe('ingest_memory_exceeded');
    expect(refusal.message).toContain(
      'd1/persons.csv: loading it needs more memory than DuckDB has (976.5 KiB, its share of resources.memory_limit)',
    );
    expect(loaded).toEqual([{ rows: 0 }]);
  });
});

describe('names are printed escaped', () => {
  test.each([
    ['a newline', 'evil\nname', 'evil\\u000aname'],
    ['a carriage return and an escape sequence', 'a\r\u001b[2Kb', 'a\\u000d\\u001b[2Kb'],
    ['a right-to-left override', 'csv.\u202Egz', 'csv.\\u202egz'],
    ['a backslash', 'a\\u000ab', 'a\\\\u000ab'],
    ['plain letters, digits, dots and accents', 'levering-2026.é', 'levering-2026.é'],
  ])('%s', (_label, name, printed) => {
    expect(printableName(name)).toBe(printed);
  });

  test('a link with a newline in its name in the landing directory is refused in one escaped line', async () => {
    const landing = makeTempDir();
    writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    symlinkSync(join(landing, 'd1'), join(landing, 'd2\nfake: all good'));
    const { code, message } = await refusalOf(ingest(landing));
    expect(code).toBe('delivery_entry_not_regular');
    expect(message).toBe(
      'd2\\u000afake: all good: a symbolic link where a delivery directory is expected; a delivery is a plain directory, never a link',
    );
  });
});

describe('names from a directory listing', () => {
  test('an unlisted extract file with a newline in its name is named escaped, on one line', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    writeFileSync(join(dir, 'extra\nipslink: all good.csv'), `${HEADER}\n${ROW}\n`);
    const { message } = await refusalOf(ingest(landing));
    expect(message).toBe(
      'd1/extra\\u000aipslink: all good.csv: extract file not listed in delivery.json; every file must carry a sha256 and row count',
    );
  });
});

describe('files stay inside their delivery', () => {
  test('delivery.json as a link to a file elsewhere is refused, not read', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    const elsewhere = join(makeTempDir(), 'delivery.json');
    writeFileSync(elsewhere, readFileSync(join(dir, 'delivery.json')));
    execFileSync('rm', [join(dir, 'delivery.json')]);
    symlinkSync(elsewhere, join(dir, 'delivery.json'));
    expect(await refusalOf(ingest(landing))).toMatchObject({ code: 'delivery_entry_not_regular' });
  });

  test('a FIFO named delivery.json is refused without blocking', async () => {
    const landing = makeTempDir();
    mkdirSync(join(landing, 'd1'));
    execFileSync('mkfifo', [join(landing, 'd1', 'delivery.json')]);
    const { message } = await refusalOf(ingest(landing));
    expect(message).toMatch(/^d1\/delivery\.json: a FIFO where a regular file is expected/);
  });

  test('a listed file that is a link to a file of another delivery is refused', async () => {
    const landing = makeTempDir();
    const other = writeDelivery(landing, 'd0', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    execFileSync('rm', [join(dir, 'persons.csv')]);
    symlinkSync(join(other, 'persons.csv'), join(dir, 'persons.csv'));
    const { message } = await refusalOf(ingest(landing));
    expect(message).toMatch(/^d1\/persons\.csv: a symbolic link where a regular file is expected/);
  });
});

/** `ipslink validate` on a landing directory; `limits` is appended to config/demo.yaml when given. */
async function validate(landing: string, limits?: string) {
  const work = makeTempDir();
  let config = 'config/demo.yaml';
  if (limits) {
    config = join(work, 'study.yaml');
    writeFileSync(config, `${readFileSync('config/demo.yaml', 'utf8')}\nlimits:\n${limits}\n`);
  }
  return runCli(['validate', '--config', config, '--landing', landing, '--out', join(work, 'out')]);
}

/** What every refusal on the command line looks like. */
function expectOneLineRefusal(exit: Awaited<ReturnType<typeof validate>>, file: string, ...mentions: string[]): string {
  const errorLines = exit.stderr.split('\n').filter((line) => line.startsWith('ipslink:'));
  expect([exit.code, errorLines.length], exit.stderr).toEqual([4, 1]);
  const [line] = errorLines;
  expect(line).toContain(file);
  for (const mention of mentions) expect(line).toContain(mention);
  expect(exit.stderr).not.toMatch(/^\s+at |internal error|RangeError|Z_(DATA|BUF)_ERROR\b(?!\))/m);
  expect(`${exit.stderr}${exit.stdout}`).not.toContain(PSEUDONYM);
  return line!;
}

/** A gzip stream of many members, each the same compressed block: small on disk, as large as asked once inflated. */
function inflatingGzip(first: string, block: Buffer, members: number): Buffer {
  const compressed = gzipSync(block);
  return Buffer.concat([gzipSync(first), ...Array.from({ length: members }, () => compressed)]);
}

describe('ipslink validate refuses hostile files in one line with exit 4', () => {
  test('a small .csv.gz that inflates far beyond its stated rows (a gzip bomb, 2.6 MB inflating to 1 GiB of rows)', async () => {
    const landing = makeTempDir();
    const rows = Buffer.from(`${ROW}\n`.repeat(Math.floor((1 << 20) / (ROW.length + 1))));
    writePersonsBytes(landing, 'd1', 'persons.csv.gz', inflatingGzip(`${HEADER}\n`, rows, 1024), 3);
    expectOneLineRefusal(await validate(landing), 'd1/persons.csv.gz', 'holds more than the 3 data rows delivery.json states');
  }, 60_000);

  test('a small .csv.gz of blank lines inflating to 1 GiB: no rows, but more bytes than its stated rows can hold', async () => {
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv.gz', inflatingGzip(`${HEADER}\n`, Buffer.alloc(1 << 20, '\n'), 1024), 3);
    expectOneLineRefusal(
      await validate(landing),
      'd1/persons.csv.gz',
      'holds more than 4194312 bytes after decompression, more than its 3 stated rows can hold',
      'limits.max_line_kib (1024 KiB)',
    );
  }, 60_000);

  test('a .csv.gz past limits.max_file_mib', async () => {
    const landing = makeTempDir();
    const rows = Buffer.from(`${ROW}\n`.repeat(Math.floor((1 << 20) / (ROW.length + 1))));
    writePersonsBytes(landing, 'd1', 'persons.csv.gz', inflatingGzip(`${HEADER}\n`, rows, 16), 10_000_000);
    const exit = await validate(landing, '  max_file_mib: 8');
    expectOneLineRefusal(exit, 'd1/persons.csv.gz', 'the cap of limits.max_file_mib (8 MiB)');
  }, 60_000);

  test('a .csv.gz with no newline at all (600 MiB of one line)', async () => {
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv.gz', inflatingGzip('', Buffer.alloc(1 << 20, PSEUDONYM), 600), 1);
    const exit = await validate(landing);
    expectOneLineRefusal(exit, 'd1/persons.csv.gz', 'the first line (the header) is longer than limits.max_line_kib (1024 KiB)');
  }, 60_000);

  test.each([
    ['a file named .gz that is not gzip', Buffer.from(`${HEADER}\n${ROW}\n`), 'not gzip data although the name ends in .gz'],
    ['an empty .gz', Buffer.alloc(0), 'the file is empty, not gzip data'],
    ['a truncated .gz', gzipSync(`${HEADER}\n${ROW}\n${ROW}\n`).subarray(0, 30), 'the gzip data ends early (the file is truncated)'],
    ['a .gz with bytes after its gzip data', Buffer.concat([gzipSync(`${HEADER}\n${ROW}\n`), Buffer.from(ROW)]), 'corrupt gzip data'],
  ])(
    '%s',
    async (_label, bytes, reason) => {
      const landing = makeTempDir();
      writePersonsBytes(landing, 'd1', 'persons.csv.gz', bytes, 1);
      expectOneLineRefusal(await validate(landing), 'd1/persons.csv.gz: cannot be read: ', reason);
    },
    60_000,
  );

  test('a line longer than DuckDB reads (40 MB) in a file whose row count matches', async () => {
    const landing = makeTempDir();
    const huge = `P2,1975,M,${PSEUDONYM.repeat(4_000_000)}`;
    const rows = [ROW, huge, ...Array.from({ length: 58 }, (_, index) => `P${index},1990,M,`)];
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from([HEADER, ...rows, ''].join('\n')), 60);
    expectOneLineRefusal(await validate(landing), 'd1/persons.csv', 'record 3', 'limits.max_line_kib (1024 KiB)');
  }, 60_000);

  test('a data row where the header belongs: no field of it is printed', async () => {
    const landing = makeTempDir();
    writePersonsBytes(landing, 'd1', 'persons.csv', Buffer.from(`${ROW}\n${ROW}\n`), 1);
    const line = expectOneLineRefusal(await validate(landing), 'd1/persons.csv', '4 field(s) that are no contract column, at position 1');
    expect(line).not.toMatch(/AMR01|1980/);
  }, 60_000);

  test('a listed file that is a link to a device', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    execFileSync('rm', [join(dir, 'persons.csv')]);
    symlinkSync('/dev/zero', join(dir, 'persons.csv'));
    expectOneLineRefusal(await validate(landing), 'd1/persons.csv', 'a symbolic link where a regular file is expected');
  }, 60_000);

  test('a listed file that is a FIFO does not hang the run', async () => {
    const landing = makeTempDir();
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: `${HEADER}\n${ROW}\n` }]);
    execFileSync('rm', [join(dir, 'persons.csv')]);
    execFileSync('mkfifo', [join(dir, 'persons.csv')]);
    expectOneLineRefusal(await validate(landing), 'd1/persons.csv', 'a FIFO where a regular file is expected');
  }, 60_000);
});
