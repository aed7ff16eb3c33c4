/**
 * `synthesizeDelivery`: determinism, the delivery contract, bad rows and the
 * planted effect. Deliveries are written once per seed into a temp directory
 * and inspected with DuckDB and node:crypto.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { looksLikeBsn } from '../../src/contracts/columns.js';
import type { Extract } from '../../src/contracts/define-extract.js';
import { deliveryManifest } from '../../src/contracts/delivery.js';
import { EXTRACTS, extractByName } from '../../src/contracts/extracts.js';
import { checkRowsSql } from '../../src/contracts/validation-sql.js';
import { Database, quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { synthesizeDelivery, type SynthSummary } from '../../src/synth/index.js';

const SMALL_PERSONS = 2000;
const root = mkdtempSync(join(tmpdir(), 'ipslink-synth-'));
const dirs = {
  oneThread: join(root, 'seed-11-threads-1'),
  twoThreads: join(root, 'seed-11-threads-2'),
  otherSeed: join(root, 'seed-12'),
  large: join(root, 'seed-1-large'),
};
const summaries: Partial<Record<keyof typeof dirs, SynthSummary>> = {};
let db: Database;

beforeAll(async () => {
  summaries.oneThread = await synthesizeDelivery({ outDir: dirs.oneThread, persons: SMALL_PERSONS, seed: 11, threads: 1 });
  summaries.twoThreads = await synthesizeDelivery({ outDir: dirs.twoThreads, persons: SMALL_PERSONS, seed: 11, threads: 2 });
  summaries.otherSeed = await synthesizeDelivery({ outDir: dirs.otherSeed, persons: SMALL_PERSONS, seed: 12 });
  summaries.large = await synthesizeDelivery({ outDir: dirs.large, persons: 20_000, seed: 1 });
  db = await Database.open(':memory:', { threads: 1 });
  for (const extract of EXTRACTS) {
    await db.run('stage', `create table ${stagedTable(extract)} as ${readExtractSql(extract, dirs.oneThread)}`);
  }
}, 60_000);

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

function stagedTable(extract: Extract): string {
  return quoteIdentifier(`staged_${extract.name}`);
}

/** Every field as raw VARCHAR (null when empty), numbered by line, as an ingest would stage it. */
function readExtractSql(extract: Extract, dir: string): string {
  const columns = extract.columnNames.map((name) => `${quoteLiteral(name)}: 'VARCHAR'`).join(', ');
  const path = quoteLiteral(join(dir, `${extract.name}.csv.gz`));
  return `select row_number() over () as line_number, 0 as row_hash, *
    from read_csv(${path}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                  columns = {${columns}})`;
}

function readJson(dir: string, name: string): any {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

function csvLines(dir: string, name: string): string[] {
  return gunzipSync(readFileSync(join(dir, name))).toString('utf8').split('\n').filter((line) => line !== '');
}

describe('synthesizeDelivery', () => {
  test('the same seed gives byte-identical files with 1 and 2 threads', () => {
    const names = readdirSync(dirs.oneThread).sort();
    expect(names).toEqual(readdirSync(dirs.twoThreads).sort());
    for (const name of names) {
      expect(readFileSync(join(dirs.twoThreads, name)).equals(readFileSync(join(dirs.oneThread, name))), name).toBe(true);
    }
  });

  test('another seed gives different extract files', () => {
    for (const extract of EXTRACTS) {
      const name = `${extract.name}.csv.gz`;
      expect(readFileSync(join(dirs.otherSeed, name)).equals(readFileSync(join(dirs.oneThread, name))), name).toBe(false);
    }
  });

  test('writes exactly the four extracts, delivery.json and truth.json', () => {
    expect(readdirSync(dirs.oneThread).sort()).toEqual(
      [...EXTRACTS.map((extract) => `${extract.name}.csv.gz`), 'delivery.json', 'truth.json'].sort(),
    );
  });

  test('delivery.json follows the manifest contract, with the data row count and sha256 of each file', () => {
    const manifest = deliveryManifest.parse(readJson(dirs.oneThread, 'delivery.json'));
    expect(manifest.delivery_id).toBe('synth-11');
    expect(manifest.extract_date).toBe('2021-06-30');
    expect(manifest.files.map((file) => file.extract)).toEqual(EXTRACTS.map((extract) => extract.name));
    for (const file of manifest.files) {
      const bytes = readFileSync(join(dirs.oneThread, file.name));
      expect(createHash('sha256').update(bytes).digest('hex'), file.name).toBe(file.sha256);
      expect(csvLines(dirs.oneThread, file.name).length - 1, file.name).toBe(file.row_count);
    }
    expect(summaries.oneThread?.files.map((file) => file.rowCount)).toEqual(manifest.files.map((file) => file.row_count));
  });

  test('every file has the contract columns, in contract order, as its header', () => {
    for (const extract of EXTRACTS) {
      const [header] = csvLines(dirs.oneThread, `${extract.name}.csv.gz`);
      expect(header?.split(','), extract.name).toEqual(extract.columnNames);
    }
  });

  test('refuses a directory that already holds a delivery.json', async () => {
    await expect(synthesizeDelivery({ outDir: dirs.oneThread, persons: 10, seed: 11 })).rejects.toThrow(
      /delivery\.json: already exists/,
    );
  });
});

describe('bad rows', () => {
  test('the contract rules, duplicate keys and unknown persons reject exactly the bad rows', async () => {
    const truth = readJson(dirs.oneThread, 'truth.json');
    const persons = extractByName('persons')!;
    await db.run('accepted persons', `create or replace table accepted_person_ids as
      select person_id from (${checkRowsSql(persons, `staged_${persons.name}`)})
      where len(failed_rules) = 0 qualify row_number() over (partition by person_id order by line_number) = 1`);
    let total = 0;
    for (const extract of EXTRACTS) {
      const key = quoteIdentifier(extract.key);
      const unknownPerson = extract.referencesPerson
        ? 'or person_id not in (select person_id from accepted_person_ids)'
        : '';
      const [row] = await db.query<{ rejected: number }>(
        `rejected ${extract.name}`,
        `with checked as (${checkRowsSql(extract, `staged_${extract.name}`)}),
         valid as (
           select *, row_number() over (partition by ${key} order by line_number) as occurrence
           from checked where len(failed_rules) = 0
         )
         select ((select count(*) from checked where len(failed_rules) > 0)
                 + (select count(*) from valid where occurrence > 1 ${unknownPerson}))::integer as rejected`,
      );
      expect(row?.rejected, extract.name).toBe(truth.synth_bad_rows[extract.name]);
      expect(row?.rejected, extract.name).toBeGreaterThan(0);
      total += row?.rejected ?? 0;
    }
    expect(summaries.oneThread?.badRows).toBe(total);
  });

  test('each extract has about 1% bad rows', () => {
    const truth = readJson(dirs.large, 'truth.json');
    for (const file of summaries.large!.files) {
      const share = truth.synth_bad_rows[file.extract] / file.rowCount;
      expect(share, file.extract).toBeGreaterThan(0.005);
      expect(share, file.extract).toBeLessThan(0.015);
    }
  });

  test('BSN-like person ids that pass the 11-test are present in every extract', async () => {
    for (const extract of EXTRACTS) {
      const rows = await db.query<{ person_id: string }>(
        'bsn',
        `select person_id from ${stagedTable(extract)} where regexp_full_match(person_id, '[0-9]{9}')`,
      );
      expect(rows.length, extract.name).toBeGreaterThan(0);
      for (const row of rows) expect(looksLikeBsn(row.person_id), row.person_id).toBe(true);
    }
  });

  test.each([
    ['negative hours_paid', `select count(*)::integer as n from staged_employment_periods where hours_paid like '-%'`],
    ['negative wage_eur', `select count(*)::integer as n from staged_employment_periods where wage_eur like '-%'`],
    ['negative monthly_amount_eur', `select count(*)::integer as n from staged_benefit_spells where monthly_amount_eur like '-%'`],
    ['a duplicate period_id', `select count(*)::integer - count(distinct period_id)::integer as n from staged_employment_periods`],
    ['a duplicate person_id', `select count(*)::integer - count(distinct person_id)::integer as n from staged_persons`],
    ['job_type FULLTIME', `select count(*)::integer as n from staged_employment_periods where job_type = 'FULLTIME'`],
    ['benefit_type XX', `select count(*)::integer as n from staged_benefit_spells where benefit_type = 'XX'`],
    ['programme IPSX', `select count(*)::integer as n from staged_trajectories where programme = 'IPSX'`],
    ['sex Q', `select count(*)::integer as n from staged_persons where sex = 'Q'`],
    ['a DD/MM/YYYY date', `select count(*)::integer as n from staged_employment_periods where period_start like '%/%/%'`],
    ['an impossible date', `select count(*)::integer as n from staged_benefit_spells where regexp_full_match(start_date, '[0-9]{4}-[0-9]{2}-[0-9]{2}') and try_cast(start_date as date) is null`],
    ['an end before the start', `select count(*)::integer as n from staged_trajectories where try_cast(end_date as date) < try_cast(start_date as date)`],
    ['an empty required field', `select count(*)::integer as n from staged_employment_periods where person_id is null or job_id is null or period_start is null`],
    ['a person_id not in persons', `select count(*)::integer as n from staged_employment_periods where person_id not in (select person_id from staged_persons where person_id is not null)`],
  ])('the files hold %s', async (_kind, sql) => {
    const [row] = await db.query<{ n: number }>('bad kind', sql);
    expect(row?.n).toBeGreaterThan(0);
  });
});

describe('truth.json', () => {
  test('holds the ATT for event months 1..36 in order, for employed_any and employed_48h', () => {
    const truth = readJson(dirs.oneThread, 'truth.json');
    const months = Array.from({ length: 36 }, (_, index) => String(index + 1));
    for (const outcome of ['employed_any', 'employed_48h']) {
      expect(Object.keys(truth.att[outcome]), outcome).toEqual(months);
      for (const value of Object.values(truth.att[outcome])) expect(Math.abs(value as number)).toBeLessThan(1);
    }
    expect(truth.persons).toBe(SMALL_PERSONS);
    expect(truth.seed).toBe(11);
    expect(truth.ips_persons).toBe(summaries.oneThread?.ipsPersons);
  });

  test('the planted employed_48h effect at month 36 is about 8 percentage points at 20,000 persons', () => {
    const truth = readJson(dirs.large, 'truth.json');
    expect(Math.abs(truth.att.employed_48h['36'] - 0.08)).toBeLessThan(0.03);
    expect(truth.att.employed_any['36']).toBeGreaterThan(truth.att.employed_48h['36']);
  });
});
