/**
 * Property-based fuzzing of ingest with fast-check: corrupt rows, headers,
 * delivery.json manifests and compressed streams. Whatever arrives, a
 * delivery is loaded with every row accounted for (rows read = accepted +
 * rejected = the stated row count) or refused with a PipelineFailure: one
 * line, never a planted pseudonym or citizen service number, never another
 * exception.
 *
 * `make test` runs a few cases per property (FUZZ_RUNS, default 12);
 * `make fuzz` runs many. A counterexample fast-check ever finds is added to
 * fuzz-regressions.json under its property's name and replayed on every run.
 */

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PipelineFailure } from '../../src/errors.js';
import { CsvRecordCounter } from '../../src/ingest/count-csv-records.js';
import { ingestDeliveries } from '../../src/ingest/index.js';
import { makeTempDir, withDatabase, writeDelivery } from '../support/delivery.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const REGRESSIONS = JSON.parse(readFileSync(new URL('fuzz-regressions.json', import.meta.url), 'utf8')) as Record<string, unknown[][]>;

/** Values no message may ever show. */
const PSEUDONYM = 'P5ec7e7c0de';
const BSN = '123456782';
const PLANTED = [PSEUDONYM, BSN];

const HEADER = 'person_id,birth_year,sex,region';
const ROWS = [
  `${PSEUDONYM},1980,F,AMR01`,
  `P0000000002,1975,M,${BSN}`,
  'P0000000003,1990,X,AMR02',
  'P0000000004,1961,F,',
  '"P0000000005",1970,"M","AMR,03"',
];

function options<T>(property: string): fc.Parameters<T> {
  return { numRuns: RUNS, seed: SEED, examples: (REGRESSIONS[property] ?? []) as T[], endOnFailure: true };
}

/** Ingests one delivery holding `bytes` as persons.csv[.gz], stating `rowCount` rows (default: the independent count). */
async function ingestBytes(name: string, bytes: Buffer, rowCount?: number, manifest?: (json: Record<string, unknown>) => unknown) {
  const landing = makeTempDir('ipslink-fuzz-');
  const counter = new CsvRecordCounter();
  counter.push(name.endsWith('.gz') ? safeGunzip(bytes) : bytes);
  const dir = writeDelivery(landing, 'd1', [{ name, extract: 'persons', csv: '', rowCount: rowCount ?? counter.dataRecords }]);
  writeFileSync(join(dir, name), bytes);
  const json = JSON.parse(readFileSync(join(dir, 'delivery.json'), 'utf8'));
  json.files[0].sha256 = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'delivery.json'), JSON.stringify(manifest ? manifest(json) : json));
  return withDatabase(async (db) => {
    try {
      const report = await ingestDeliveries(db, { landing, deliveries: 'all', runId: 'fuzz' });
      return { report, error: null };
    } catch (error) {
      return { report: null, error };
    }
  });
}

/** What the stated row count is taken from: the records a whole gunzip yields (none when it fails). */
function safeGunzip(bytes: Buffer): Buffer {
  try {
    return gunzipSync(bytes);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The property every outcome must have. */
function expectAccountedOrRefused(outcome: Awaited<ReturnType<typeof ingestBytes>>, statedRows?: number): void {
  if (outcome.error === null) {
    for (const file of outcome.report!.files) {
      expect(file.rows_read).toBe(file.rows_accepted + file.rows_rejected);
      if (statedRows !== undefined) expect(file.rows_read).toBe(statedRows);
    }
    return;
  }
  expect(outcome.error).toBeInstanceOf(PipelineFailure);
  const message = (outcome.error as PipelineFailure).message;
  expect(message).not.toContain('\n');
  for (const value of PLANTED) expect(message).not.toContain(value);
}

/** Mutations of CSV text that senders make by accident or on purpose. */
type CsvMutation =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'bytes'; at: number; bytes: Uint8Array };

const csvMutation: fc.Arbitrary<CsvMutation> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom('"', ',', '\n', '\r\n', '""', '\u0000', '\u00e9', '\ufeff', 'x'.repeat(5000)),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(text: Buffer, mutations: readonly CsvMutation[]): Buffer {
  let bytes = text;
  for (const mutation of mutations) {
    const at = bytes.length ? mutation.at % (bytes.length + 1) : 0;
    const insert =
      mutation.kind === 'insert' ? Buffer.from(mutation.text) : mutation.kind === 'bytes' ? Buffer.from(mutation.bytes) : Buffer.alloc(0);
    const deleted = mutation.kind === 'delete' ? mutation.length : 0;
    bytes = Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at + deleted)]);
  }
  return bytes;
}

const VALID = Buffer.from([HEADER, ...ROWS, ''].join('\n'));

describe('ingest under fuzzing', () => {
  test('the CSV record counter counts what was written, however the bytes are chunked', () => {
    const field = fc.string({ unit: fc.constantFrom('a', '1', ',', '"', '\n', '\r', ' ') });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 9 }),
        (records, chunk) => {
          const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
          const text = Buffer.from(['h', ...records.map((fields) => fields.map(quote).join(','))].map((line) => `${line}\n`).join(''));
          const counter = new CsvRecordCounter();
          for (let at = 0; at < text.length; at += chunk) counter.push(text.subarray(at, at + chunk));
          expect(counter.dataRecords).toBe(records.length);
        },
      ),
      options('csv record counter'),
    );
  });

  test('corrupt rows: every row is accepted or rejected with a reason, or the file is refused in one line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(csvMutation, { minLength: 1, maxLength: 6 }), fc.boolean(), async (mutations, gzip) => {
        const bytes = mutate(VALID, mutations);
        const outcome = await ingestBytes(gzip ? 'persons.csv.gz' : 'persons.csv', gzip ? gzipSync(bytes) : bytes);
        expectAccountedOrRefused(outcome);
      }),
      options('corrupt rows'),
    );
  }, 120_000);

  test('headers: any header is loaded or refused without echoing its fields', async () => {
    const token = fc.constantFrom(
      'person_id',
      'birth_year',
      'sex',
      'region',
      'birth_month',
      PSEUDONYM,
      BSN,
      '',
      ' sex',
      'PERSON_ID',
      '"region"',
      'x'.repeat(300),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 1, maxLength: 7 }), async (names) => {
        const bytes = Buffer.from([names.join(','), ...ROWS, ''].join('\n'));
        expectAccountedOrRefused(await ingestBytes('persons.csv', bytes));
      }),
      options('headers'),
    );
  }, 120_000);

  test('delivery.json: a mangled manifest is refused in one line, or the delivery loads whole', async () => {
    const value = fc.oneof(fc.constantFrom(null, -1, 0, 1.5, '', PSEUDONYM, BSN, [], {}, 'full', 'persons', '2021-02-30'), fc.string());
    const field = fc.constantFrom(
      'delivery_id',
      'extract_date',
      'files',
      'coverage',
      'extra',
      'files.0.name',
      'files.0.extract',
      'files.0.row_count',
      'files.0.mode',
      'files.0.sha256',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, fc.option(value)), { minLength: 1, maxLength: 4 }), async (edits) => {
        const outcome = await ingestBytes('persons.csv', VALID, undefined, (json) => {
          for (const [path, replacement] of edits) {
            const keys = path.split('.');
            let target = json as Record<string, unknown>;
            for (const key of keys.slice(0, -1)) {
              // An earlier edit may have put a scalar where an object was: the path then goes through a fresh one.
              if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
              target = target[key] as Record<string, unknown>;
            }
            if (replacement === null) delete target[keys.at(-1)!];
            // A copy: fast-check may hand the same array or object to two edits, which would make a cycle.
            else target[keys.at(-1)!] = structuredClone(replacement);
          }
          return json;
        });
        expectAccountedOrRefused(outcome);
      }),
      options('manifests'),
    );
  }, 120_000);

  test('compressed streams: truncated, flipped or padded gzip is loaded whole or refused in one line naming the file', async () => {
    const damage = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (change) => {
        const gz = Buffer.from(gzipSync(VALID));
        let bytes: Buffer = gz;
        if (change.kind === 'truncate') bytes = gz.subarray(0, change.at % gz.length);
        if (change.kind === 'flip') bytes[change.at % gz.length]! ^= change.mask;
        if (change.kind === 'append') bytes = Buffer.concat([gz, Buffer.from(change.bytes)]);
        const outcome = await ingestBytes('persons.csv.gz', bytes, ROWS.length);
        expectAccountedOrRefused(outcome, ROWS.length);
        if (outcome.error) expect((outcome.error as PipelineFailure).message).toContain('persons.csv.gz');
      }),
      options('compressed streams'),
    );
  }, 120_000);
});
