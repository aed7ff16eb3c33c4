/**
 * `synthesizeDelivery`: determinism, the delivery contract, bad rows, the
 * register hazards, the two-delivery guarantee and the planted effect.
 * Deliveries are written once per seed into a temp directory and inspected
 * with DuckDB (plain SQL over the CSV files, the contract rules for what is
 * accepted) and node:crypto; the episode check also reads the generator's
 * own tables, for the latent cells the files cannot show.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { looksLikeBsn } from '../../src/contracts/columns.js';
import type { Extract } from '../../src/contracts/define-extract.js';
import { type DeliveryManifest, deliveryManifest, lastCompleteMonth } from '../../src/contracts/delivery.js';
import { EXTRACTS } from '../../src/contracts/extracts.js';
import { checkRowsSql, keyColumnsSql, keyValueSql } from '../../src/contracts/validation-sql.js';
import { Database, quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { generateWorld } from '../../src/synth/generate-tables.js';
import { type SynthSummary, synthesizeDelivery } from '../../src/synth/index.js';
import { TRUTH_OUTCOMES } from '../../src/synth/truth.js';
import { TEST_THREADS } from '../support/threads.js';

const SMALL_PERSONS = 2000;
const LARGE_PERSONS = 20_000;
const QUALIFYING = `('ZW', 'WGA', 'IVA', 'WAJONG', 'WAO')`;
/** lcm(1..31): hours x days x this / period days is a whole number for every payroll period. */
const HOUR_UNITS = '505412435127600::hugeint';
const root = mkdtempSync(join(tmpdir(), 'ipslink-synth-'));
const dirs = {
  oneThread: join(root, 'seed-11-threads-1'),
  twoThreads: join(root, 'seed-11-threads-2'),
  otherSeed: join(root, 'seed-12'),
  twoDeliveriesOneThread: join(root, 'seed-11-two-threads-1'),
  twoDeliveriesTwoThreads: join(root, 'seed-11-two-threads-2'),
  withoutHealthcareCosts: join(root, 'seed-11-two-without-healthcare-costs'),
  large: join(root, 'seed-1-large'),
  largeFourThreads: join(root, 'seed-1-large-threads-4'),
};
const summaries: Partial<Record<keyof typeof dirs, SynthSummary>> = {};
let db: Database;

beforeAll(async () => {
  summaries.oneThread = await synthesizeDelivery({ outDir: dirs.oneThread, persons: SMALL_PERSONS, seed: 11, threads: 1 });
  summaries.twoThreads = await synthesizeDelivery({ outDir: dirs.twoThreads, persons: SMALL_PERSONS, seed: 11, threads: 2 });
  summaries.otherSeed = await synthesizeDelivery({ outDir: dirs.otherSeed, persons: SMALL_PERSONS, seed: 12, threads: TEST_THREADS });
  summaries.twoDeliveriesOneThread = await synthesizeDelivery({
    outDir: dirs.twoDeliveriesOneThread,
    persons: SMALL_PERSONS,
    seed: 11,
    threads: 1,
    deliveries: 2,
  });
  summaries.twoDeliveriesTwoThreads = await synthesizeDelivery({
    outDir: dirs.twoDeliveriesTwoThreads,
    persons: SMALL_PERSONS,
    seed: 11,
    threads: 2,
    deliveries: 2,
  });
  summaries.withoutHealthcareCosts = await synthesizeDelivery({
    outDir: dirs.withoutHealthcareCosts,
    persons: SMALL_PERSONS,
    seed: 11,
    deliveries: 2,
    healthcareCosts: false,
    threads: TEST_THREADS,
  });
  summaries.large = await synthesizeDelivery({
    outDir: dirs.large,
    persons: LARGE_PERSONS,
    seed: 1,
    deliveries: 2,
    threads: TEST_THREADS,
  });
  // Several row groups of payroll periods (about 500,000 rows), read by four threads: the payroll files are written
  // in the order their rows are stored, without a sort (src/synth/write-extracts.ts).
  summaries.largeFourThreads = await synthesizeDelivery({
    outDir: dirs.largeFourThreads,
    persons: LARGE_PERSONS,
    seed: 1,
    deliveries: 2,
    threads: 4,
  });
  db = await Database.open(':memory:', { threads: 2 });
  await db.runFile('reference/01_create_state_pension_age.sql');
  await loadAccepted('single', dirs.oneThread);
  await loadAccepted('first', `${dirs.twoDeliveriesOneThread}.1`);
  await loadAccepted('second', `${dirs.twoDeliveriesOneThread}.2`);
  await mergeDeliveries('merged', 'first', 'second');
  await loadAccepted('large_first', `${dirs.large}.1`);
  await loadAccepted('large_second', `${dirs.large}.2`);
  await mergeDeliveries('large', 'large_first', 'large_second');
}, 120_000);

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

function table(prefix: string, extract: string, stage: 'staged' | 'checked' | 'accepted' = 'accepted'): string {
  return quoteIdentifier(`${prefix}_${extract}_${stage}`);
}

/** Every field as raw VARCHAR (null when empty), numbered by line, as an ingest would stage it. */
function readExtractSql(extract: Extract, dir: string): string {
  const columns = extract.columnNames.map((name) => `${quoteLiteral(name)}: 'VARCHAR'`).join(', ');
  const path = quoteLiteral(join(dir, `${extract.name}.csv.gz`));
  return `select row_number() over () as line_number, 0 as row_hash, *
    from read_csv(${path}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                  columns = {${columns}})`;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read truth.json and delivery.json field by field
function readJson(dir: string, name: string): any {
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

function readManifest(dir: string): DeliveryManifest {
  return deliveryManifest.parse(readJson(dir, 'delivery.json'));
}

function csvLines(dir: string, name: string): string[] {
  return gunzipSync(readFileSync(join(dir, name)))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * Stages a delivery's files (every extract's) and keeps what a study can use: rows
 * passing the contract rules (with the delivery's extract date), the first
 * occurrence of each key, of persons known to the delivery's persons file
 * (ingest keeps rows of unknown persons too, as orphans that never link).
 * Tables <prefix>_<extract>_staged / _checked / _accepted (typed columns).
 */
async function loadAccepted(prefix: string, dir: string): Promise<void> {
  const context = { extractDate: readManifest(dir).extract_date };
  for (const extract of EXTRACTS) {
    await db.run('stage', `create or replace table ${table(prefix, extract.name, 'staged')} as ${readExtractSql(extract, dir)}`);
    await db.run(
      'check',
      `create or replace table ${table(prefix, extract.name, 'checked')} as
       ${checkRowsSql(extract, `${prefix}_${extract.name}_staged`, context)}`,
    );
    const knownPerson = extract.referencesPerson ? `and person_id in (select person_id from ${table(prefix, 'persons')})` : '';
    await db.run(
      'accept',
      `create or replace table ${table(prefix, extract.name)} as
       select ${extract.columnNames.map(quoteIdentifier).join(', ')}
       from ${table(prefix, extract.name, 'checked')}
       where len(failed_rules) = 0 ${knownPerson}
       qualify row_number() over (partition by ${keyColumnsSql(extract)} order by line_number) = 1`,
    );
  }
}

/** The later delivery's rows replace the earlier's by key; its full persons file replaces all persons. */
async function mergeDeliveries(prefix: string, first: string, second: string): Promise<void> {
  for (const extract of EXTRACTS) {
    const earlier =
      extract.name === 'persons'
        ? ''
        : `union all select * from ${table(first, extract.name)}
           where ${keyValueSql(extract)} not in (select ${keyColumnsSql(extract)} from ${table(second, extract.name)})`;
    await db.run(
      'merge',
      `create or replace table ${table(prefix, extract.name)} as select * from ${table(second, extract.name)} ${earlier}`,
    );
  }
}

async function count(sql: string): Promise<number> {
  const [row] = await db.query<{ n: number }>('count', `select (${sql})::double as n`);
  return row?.n ?? Number.NaN;
}

describe('synthesizeDelivery', () => {
  test('the same seed gives byte-identical files with 1 and 2 threads, with one delivery and with two, and with 1 and 4 threads at 20,000 persons', () => {
    const pairs = [
      [dirs.oneThread, dirs.twoThreads],
      [`${dirs.twoDeliveriesOneThread}.1`, `${dirs.twoDeliveriesTwoThreads}.1`],
      [`${dirs.twoDeliveriesOneThread}.2`, `${dirs.twoDeliveriesTwoThreads}.2`],
      [`${dirs.large}.1`, `${dirs.largeFourThreads}.1`],
      [`${dirs.large}.2`, `${dirs.largeFourThreads}.2`],
    ] as const;
    for (const [one, two] of pairs) {
      const names = readdirSync(one).sort();
      expect(names).toEqual(readdirSync(two).sort());
      for (const name of names) {
        expect(readFileSync(join(two, name)).equals(readFileSync(join(one, name))), `${one}/${name}`).toBe(true);
      }
    }
  });

  test('another seed gives different extract files', () => {
    for (const extract of EXTRACTS) {
      const name = `${extract.name}.csv.gz`;
      expect(readFileSync(join(dirs.otherSeed, name)).equals(readFileSync(join(dirs.oneThread, name))), name).toBe(false);
    }
  });

  test('writes exactly the five extracts, delivery.json and truth.json; with two deliveries truth.json only in the second', () => {
    expect(EXTRACTS.map((extract) => extract.name)).toContain('healthcare_costs');
    const extractFiles = EXTRACTS.map((extract) => `${extract.name}.csv.gz`);
    expect(readdirSync(dirs.oneThread).sort()).toEqual([...extractFiles, 'delivery.json', 'truth.json'].sort());
    expect(readdirSync(`${dirs.twoDeliveriesOneThread}.1`).sort()).toEqual([...extractFiles, 'delivery.json'].sort());
    expect(readdirSync(`${dirs.twoDeliveriesOneThread}.2`).sort()).toEqual([...extractFiles, 'delivery.json', 'truth.json'].sort());
    expect(summaries.twoDeliveriesOneThread?.deliveries.map((delivery) => delivery.deliveryId)).toEqual(['synth-11.1', 'synth-11.2']);
    expect(summaries.twoDeliveriesOneThread?.deliveryId).toBe('synth-11.2');
  });

  test.each([
    ['one delivery', 'oneThread', '', 'synth-11', '2021-06-30'],
    ['delivery 1 of 2', 'twoDeliveriesOneThread', '.1', 'synth-11.1', '2018-06-30'],
    ['delivery 2 of 2', 'twoDeliveriesOneThread', '.2', 'synth-11.2', '2021-06-30'],
  ] as const)(
    'delivery.json of %s follows the manifest contract, with coverage, modes, row counts and sha256',
    (_name, key, suffix, id, extractDate) => {
      const dir = `${dirs[key]}${suffix}`;
      const manifest = readManifest(dir);
      expect(manifest.delivery_id).toBe(id);
      expect(manifest.extract_date).toBe(extractDate);
      expect(manifest.coverage).toEqual({
        employment_periods: { from: '2010-07', to: lastCompleteMonth(extractDate) },
        benefit_spells: { from: '2008-01', to: lastCompleteMonth(extractDate) },
      });
      expect(manifest.files.map((file) => file.extract)).toEqual(EXTRACTS.map((extract) => extract.name));
      expect(manifest.files.map((file) => file.mode)).toEqual(
        EXTRACTS.map((extract) => (suffix === '.2' && extract.name === 'persons' ? 'full' : 'incremental')),
      );
      for (const file of manifest.files) {
        const bytes = readFileSync(join(dir, file.name));
        expect(createHash('sha256').update(bytes).digest('hex'), file.name).toBe(file.sha256);
        expect(csvLines(dir, file.name).length - 1, file.name).toBe(file.row_count);
      }
      const summary = summaries[key]!.deliveries.find((delivery) => delivery.deliveryId === id)!;
      expect(summary.files.map((file) => file.rowCount)).toEqual(manifest.files.map((file) => file.row_count));
    },
  );

  test('every file has the contract columns, in contract order, as its header', () => {
    for (const dir of [dirs.oneThread, `${dirs.twoDeliveriesOneThread}.1`, `${dirs.twoDeliveriesOneThread}.2`]) {
      for (const extract of EXTRACTS) {
        const [header] = csvLines(dir, `${extract.name}.csv.gz`);
        expect(header?.split(','), extract.name).toEqual(extract.columnNames);
      }
    }
  });

  test('refuses a directory that already holds a delivery.json, also as either of two deliveries', async () => {
    await expect(synthesizeDelivery({ outDir: dirs.oneThread, persons: 10, seed: 11 })).rejects.toThrow(/delivery\.json: already exists/);
    await expect(synthesizeDelivery({ outDir: dirs.twoDeliveriesOneThread, persons: 10, seed: 11, deliveries: 2 })).rejects.toThrow(
      /seed-11-two-threads-1\.1\/delivery\.json: already exists/,
    );
  });

  test('refuses two deliveries whose last extract date is not after the first one (2018-06-30)', async () => {
    await expect(
      synthesizeDelivery({ outDir: join(root, 'early'), persons: 10, seed: 1, deliveries: 2, extractDate: '2018-06-30' }),
    ).rejects.toThrow(/must be after 2018-06-30/);
  });
});

describe('two deliveries', () => {
  test.each(EXTRACTS.map((extract) => [extract.name]))(
    'delivery 2 applied to delivery 1 by key gives, value for value, the accepted %s rows of the single delivery',
    async (name) => {
      const merged = table('merged', name);
      const single = table('single', name);
      expect(await count(`select count(*) from ${merged}`)).toBe(await count(`select count(*) from ${single}`));
      expect(await count(`select count(*) from ${single}`)).toBeGreaterThan(0);
      expect(await count(`select count(*) from (select * from ${merged} except all select * from ${single})`)).toBe(0);
      expect(await count(`select count(*) from (select * from ${single} except all select * from ${merged})`)).toBe(0);
    },
  );

  test('delivery 1 holds the world as known at 2018-06-30: nothing starts, ends or happens after it', async () => {
    const cutoff = `date '2018-06-30'`;
    expect(
      await count(`select count(*) from ${table('first', 'benefit_spells')} where start_date > ${cutoff} or end_date > ${cutoff}`),
    ).toBe(0);
    expect(await count(`select count(*) from ${table('first', 'trajectories')} where start_date > ${cutoff} or end_date > ${cutoff}`)).toBe(
      0,
    );
    expect(await count(`select count(*) from ${table('first', 'employment_periods')} where period_end > ${cutoff}`)).toBe(0);
    expect(
      await count(`select count(*) from ${table('first', 'persons')} where death_date > ${cutoff} or emigration_date > ${cutoff}`),
    ).toBe(0);
  });

  test('delivery 2 corrects about 2% of the payroll periods of delivery 1 and closes spells and trajectories left open', async () => {
    const periods = await count(`select count(*) from ${table('large_first', 'employment_periods')}`);
    const corrected = await count(
      `select count(*) from ${table('large_first', 'employment_periods')} as first
       join ${table('large_second', 'employment_periods')} as second using (period_id)
       where first.hours_paid <> second.hours_paid and first.wage_eur <> second.wage_eur`,
    );
    expect(corrected / periods).toBeGreaterThan(0.015);
    expect(corrected / periods).toBeLessThan(0.025);
    for (const [extract, key] of [
      ['benefit_spells', 'spell_id'],
      ['trajectories', 'trajectory_id'],
    ] as const) {
      const closed = await count(
        `select count(*) from ${table('large_first', extract)} as first
         join ${table('large_second', extract)} as second using (${key})
         where first.end_date is null and second.end_date is not null`,
      );
      expect(closed, extract).toBeGreaterThan(100);
    }
    const resentUnchanged = await count(
      `select count(*) from ${table('large_first', 'benefit_spells')} as first
       join ${table('large_second', 'benefit_spells')} as second using (spell_id)
       where first.end_date is not null`,
    );
    expect(resentUnchanged).toBe(0);
  });
});

describe('bad rows', () => {
  test.each([
    ['one delivery', 'oneThread', ''],
    ['delivery 1 of 2', 'twoDeliveriesOneThread', '.1'],
    ['delivery 2 of 2', 'twoDeliveriesOneThread', '.2'],
  ] as const)(
    'in %s, the contract rules and duplicate keys reject, and unknown persons leave unlinked, exactly the bad rows',
    async (_name, key, suffix) => {
      const dir = `${dirs[key]}${suffix}`;
      const prefix = { '': 'single', '.1': 'first', '.2': 'second' }[suffix];
      const badRows = readJson(`${dirs[key]}${suffix === '.1' ? '.2' : suffix}`, 'truth.json').deliveries.find(
        (delivery: { delivery_id: string }) => delivery.delivery_id === readManifest(dir).delivery_id,
      ).synth_bad_rows;
      let total = 0;
      for (const extract of EXTRACTS) {
        const rejected = await count(
          `select (select count(*) from ${table(prefix, extract.name, 'staged')}) - (select count(*) from ${table(prefix, extract.name)})`,
        );
        expect(rejected, extract.name).toBe(badRows[extract.name]);
        expect(rejected, extract.name).toBeGreaterThan(0);
        total += rejected;
      }
      const summary = summaries[key]!.deliveries.find((delivery) => delivery.dir === dir)!;
      expect(summary.badRows).toBe(total);
    },
  );

  test('each extract file has about 1% bad rows', () => {
    const truth = readJson(`${dirs.large}.2`, 'truth.json');
    for (const [index, delivery] of summaries.large!.deliveries.entries()) {
      for (const file of delivery.files) {
        const share = truth.deliveries[index].synth_bad_rows[file.extract] / file.rowCount;
        expect(share, `${delivery.deliveryId} ${file.extract}`).toBeGreaterThan(0.005);
        expect(share, `${delivery.deliveryId} ${file.extract}`).toBeLessThan(0.015);
      }
    }
  });

  test('BSN-like person ids that pass the 11-test are present in every extract', async () => {
    for (const extract of EXTRACTS) {
      const rows = await db.query<{ person_id: string }>(
        'bsn',
        `select person_id from ${table('single', extract.name, 'staged')} where regexp_full_match(person_id, '[0-9]{9}')`,
      );
      expect(rows.length, extract.name).toBeGreaterThan(0);
      for (const row of rows) expect(looksLikeBsn(row.person_id), row.person_id).toBe(true);
    }
  });

  test.each([
    ['negative hours_paid', `select count(*) from single_employment_periods_staged where hours_paid like '-%'`],
    ['negative wage_eur', `select count(*) from single_employment_periods_staged where wage_eur like '-%'`],
    ['negative monthly_amount_eur', `select count(*) from single_benefit_spells_staged where monthly_amount_eur like '-%'`],
    ['a duplicate period_id', `select count(*) - count(distinct period_id) from single_employment_periods_staged`],
    ['a duplicate person_id', `select count(*) - count(distinct person_id) from single_persons_staged`],
    ['job_type FULLTIME', `select count(*) from single_employment_periods_staged where job_type = 'FULLTIME'`],
    ['benefit_type XX', `select count(*) from single_benefit_spells_staged where benefit_type = 'XX'`],
    ['programme IPSX', `select count(*) from single_trajectories_staged where programme = 'IPSX'`],
    ['sex Q', `select count(*) from single_persons_staged where sex = 'Q'`],
    ['a DD/MM/YYYY date', `select count(*) from single_employment_periods_staged where period_start like '%/%/%'`],
    [
      'an impossible date',
      `select count(*) from single_benefit_spells_staged where regexp_full_match(start_date, '[0-9]{4}-[0-9]{2}-[0-9]{2}') and try_cast(start_date as date) is null`,
    ],
    [
      'an end before the start',
      `select count(*) from single_trajectories_staged where try_cast(end_date as date) < try_cast(start_date as date)`,
    ],
    [
      'an empty required field',
      `select count(*) from single_employment_periods_staged where person_id is null or job_id is null or period_start is null`,
    ],
    [
      'a person_id not in persons',
      `select count(*) from single_employment_periods_staged where person_id not in (select person_id from single_persons_staged where person_id is not null)`,
    ],
    [
      'a death_date after the extract date',
      `select count(*) from single_persons_checked where list_contains(failed_rules, 'persons.death_date_after_extract_date')`,
    ],
    [
      'a death_date before the birth year',
      `select count(*) from single_persons_checked where list_contains(failed_rules, 'persons.death_date_before_birth')`,
    ],
    ['category DENTAL', `select count(*) from single_healthcare_costs_staged where category = 'DENTAL'`],
    [
      'a healthcare cost of the year after the extract date',
      `select count(*) from single_healthcare_costs_checked where list_contains(failed_rules, 'healthcare_costs.year_after_extract_date')`,
    ],
    [
      'an exact copy of a healthcare_costs row (a duplicate key)',
      `select count(*) - count(distinct (person_id, year, category, cost_eur)) from single_healthcare_costs_staged`,
    ],
    [
      'in delivery 1, a death_date after its own extract date',
      `select count(*) from first_persons_checked where list_contains(failed_rules, 'persons.death_date_after_extract_date')`,
    ],
  ])('the files hold %s', async (_kind, sql) => {
    expect(await count(sql)).toBeGreaterThan(0);
  });
});

/**
 * The register hazards at 20,000 persons, from the files as merged over
 * both deliveries (large_<extract>_accepted). first_trajectories: each
 * person's earliest trajectory, as the pipeline picks it.
 */
describe('register hazards at 20,000 persons', () => {
  const firstTrajectories = `(
    select * from large_trajectories_accepted
    qualify row_number() over (partition by person_id order by start_date, trajectory_id) = 1)`;
  const spellAtIndex = `(
    select spells.*, first.start_date as index_date
    from ${firstTrajectories} as first
    join large_benefit_spells_accepted as spells
      on spells.person_id = first.person_id and spells.benefit_type in ${QUALIFYING}
      and spells.start_date <= first.start_date and (spells.end_date is null or spells.end_date >= first.start_date))`;

  test('deaths happen after the index date, more often after a first TVR than a first IPS trajectory; emigration in both', async () => {
    const rates = await db.query<{ programme: string; persons: number; deaths: number; emigrations: number; before_index: number }>(
      'deaths',
      `select programme, count(*)::double as persons, count(death_date)::double as deaths,
              count(emigration_date)::double as emigrations,
              count(*) filter (where death_date <= first.start_date or emigration_date <= first.start_date)::double as before_index
       from ${firstTrajectories} as first join large_persons_accepted using (person_id)
       group by programme order by programme`,
    );
    const [ips, tvr] = rates;
    expect(ips?.before_index).toBe(0);
    expect(tvr?.before_index).toBe(0);
    expect(tvr!.deaths / tvr!.persons).toBeGreaterThan(1.8 * (ips!.deaths / ips!.persons));
    expect(ips!.deaths).toBeGreaterThan(20);
    for (const arm of [ips!, tvr!]) expect(arm.emigrations / arm.persons).toBeGreaterThan(0.01);
    const backgroundDeaths = await count(
      `select count(*) from large_persons_accepted where death_date is not null
       and person_id not in (select person_id from large_trajectories_accepted)`,
    );
    expect(backgroundDeaths).toBeGreaterThan(100);
  });

  test('death and emigration dates fall on every day, also the first and the last day of a month', async () => {
    expect(
      await count(`select count(*) from large_persons_accepted where day(death_date) = 1 or day(emigration_date) = 1`),
    ).toBeGreaterThan(5);
    expect(
      await count(
        `select count(*) from large_persons_accepted where death_date = last_day(death_date) or emigration_date = last_day(emigration_date)`,
      ),
    ).toBeGreaterThan(5);
  });

  test('about 90% of persons have a birth month', async () => {
    const share = await count(`select count(birth_month) / count(*) from large_persons_accepted`);
    expect(share).toBeGreaterThan(0.88);
    expect(share).toBeLessThan(0.92);
  });

  test('several hundred persons on a qualifying benefit at an index date in 2012-2016 reach the state-pension age within 36 months; some are past it', async () => {
    const pension = `(
      select first.start_date as index_date, date_trunc('month', first.start_date)::date as index_month, pension.state_pension_month
      from ${firstTrajectories} as first
      join large_persons_accepted as persons using (person_id)
      join state_pension_month as pension
        on pension.birth_year = persons.birth_year and pension.birth_month = coalesce(persons.birth_month, 1)
      where first.start_date between date '2012-07-01' and date '2016-12-31'
        and year(first.start_date) - persons.birth_year between 18 and 66
        and first.person_id in (select person_id from ${spellAtIndex}))`;
    expect(
      await count(
        `select count(*) from ${pension} where state_pension_month > index_date and state_pension_month <= index_month + interval 36 month`,
      ),
    ).toBeGreaterThan(300);
    expect(await count(`select count(*) from ${pension} where state_pension_month <= index_date`)).toBeGreaterThan(50);
  });

  test('WW and BIJSTAND spells start after the index date', async () => {
    for (const type of ['WW', 'BIJSTAND']) {
      const after = await count(
        `select count(*) from large_benefit_spells_accepted as spells join ${firstTrajectories} as first using (person_id)
         where spells.benefit_type = '${type}' and spells.start_date > first.start_date`,
      );
      expect(after, type).toBeGreaterThan(500);
    }
  });

  test('ZW then WGA/IVA chains form one episode (gaps of 0-31 days, some exactly 31); older ZW spells with a gap of exactly 32 days do not', async () => {
    const gaps = `(
      select at_index.start_date - zw.end_date - 1 as gap_days, zw.end_date - zw.start_date + 1 as zw_days
      from ${spellAtIndex} as at_index
      join large_benefit_spells_accepted as zw
        on zw.person_id = at_index.person_id and zw.benefit_type = 'ZW' and zw.end_date < at_index.start_date
      where at_index.benefit_type in ('WGA', 'IVA'))`;
    expect(await count(`select count(*) from ${gaps} where gap_days between 0 and 31 and zw_days = 728`)).toBeGreaterThan(1000);
    expect(await count(`select count(*) from ${gaps} where gap_days = 31`)).toBeGreaterThan(5);
    expect(
      await count(
        `select count(*) from ${spellAtIndex} as at_index
         join large_benefit_spells_accepted as older
           on older.person_id = at_index.person_id and older.benefit_type = 'ZW' and at_index.start_date - older.end_date - 1 = 32`,
      ),
    ).toBeGreaterThan(5);
  });

  test('a ZW spell ongoing at the index date stops at 104 weeks, and often goes on as WGA from the next day', async () => {
    const continued = await count(
      `select count(*) from ${spellAtIndex} as zw
       join large_benefit_spells_accepted as wga
         on wga.person_id = zw.person_id and wga.benefit_type = 'WGA' and wga.start_date = zw.end_date + 1
       where zw.benefit_type = 'ZW' and zw.end_date = zw.start_date + 727`,
    );
    expect(continued).toBeGreaterThan(500);
    expect(await count(`select count(*) from ${spellAtIndex} where benefit_type = 'ZW' and end_date - start_date + 1 > 728`)).toBe(0);
  });

  test('coverage starts inside the look-back of early index dates; no payroll period ends before it', async () => {
    for (const suffix of ['.1', '.2']) {
      expect(readManifest(`${dirs.large}${suffix}`).coverage?.employment_periods?.from).toBe('2010-07');
    }
    expect(await count(`select count(*) from large_employment_periods_accepted where period_end < date '2010-07-01'`)).toBe(0);
    expect(
      await count(`select count(*) from ${firstTrajectories} where start_date between date '2012-01-01' and date '2012-06-30'`),
    ).toBeGreaterThan(500);
  });

  test('about 8% of persons whose first trajectory is TVR start IPS in event month 3..30; about 1% of IPS starters also start TVR the same day', async () => {
    const [later] = await db.query<{ persons: number; later_ips: number }>(
      'later IPS',
      `select count(*)::double as persons,
              count(*) filter (where exists (
                select 1 from large_trajectories_accepted as ips
                where ips.person_id = first.person_id and ips.programme = 'IPS'
                  and date_diff('month', first.start_date, ips.start_date) between 3 and 30))::double as later_ips
       from ${firstTrajectories} as first where programme = 'TVR'`,
    );
    expect(later!.later_ips / later!.persons).toBeGreaterThan(0.07);
    expect(later!.later_ips / later!.persons).toBeLessThan(0.11);
    const sameDay = await count(
      `select count(distinct ips.person_id) from large_trajectories_accepted as ips
       join large_trajectories_accepted as tvr
         on tvr.person_id = ips.person_id and tvr.start_date = ips.start_date and tvr.programme = 'TVR'
       where ips.programme = 'IPS'`,
    );
    expect(sameDay).toBeGreaterThan(10);
  });

  test('truth.json counts every hazard', () => {
    const { hazards } = readJson(`${dirs.large}.2`, 'truth.json');
    for (const name of [
      'deaths_ips_first',
      'deaths_tvr_first',
      'emigrations_ips_first',
      'emigrations_tvr_first',
      'cohort_reaching_state_pension_age_in_follow_up',
      'excluded_past_state_pension_age_at_index',
      'excluded_outside_coverage',
      'same_day_pairs',
      'chained_episodes_before_index',
      'chain_gap_31_days',
      'separate_episode_gap_32_days',
      'zw_continued_as_wga_after_index',
      'ww_spells_after_index',
      'bijstand_spells_after_index',
      'tvr_first_starting_ips_later',
      'payroll_periods_corrected_in_delivery_2',
      'spells_closed_by_delivery_2',
      'trajectories_closed_by_delivery_2',
    ]) {
      expect(hazards[name], name).toBeGreaterThan(0);
    }
    expect(hazards.cohort_reaching_state_pension_age_in_follow_up).toBeGreaterThan(300);
  });
});

/**
 * The optional healthcare_costs extract: the same world without it, the
 * years and magnitudes of the costs (from the merged 20,000-person
 * deliveries), and the provisional last year that delivery 2 corrects.
 */
describe('healthcare costs', () => {
  const firstTrajectories = `(
    select * from large_trajectories_accepted
    qualify row_number() over (partition by person_id order by start_date, trajectory_id) = 1)`;

  test('without healthcare costs, the same seed writes every other file byte for byte, and delivery.json without its entry', () => {
    for (const suffix of ['.1', '.2']) {
      const withCosts = `${dirs.twoDeliveriesOneThread}${suffix}`;
      const withoutCosts = `${dirs.withoutHealthcareCosts}${suffix}`;
      const names = readdirSync(withoutCosts).sort();
      expect(names).toEqual(
        readdirSync(withCosts)
          .filter((name) => name !== 'healthcare_costs.csv.gz')
          .sort(),
      );
      for (const name of names.filter((file) => file.endsWith('.csv.gz'))) {
        expect(readFileSync(join(withoutCosts, name)).equals(readFileSync(join(withCosts, name))), `${withoutCosts}/${name}`).toBe(true);
      }
      const manifest = readManifest(withCosts);
      expect(manifest.files.map((file) => file.extract)).toContain('healthcare_costs');
      expect(readManifest(withoutCosts)).toEqual({
        ...manifest,
        files: manifest.files.filter((file) => file.extract !== 'healthcare_costs'),
      });
    }
    const truth = readJson(`${dirs.twoDeliveriesOneThread}.2`, 'truth.json');
    const truthWithout = readJson(`${dirs.withoutHealthcareCosts}.2`, 'truth.json');
    for (const key of ['att', 'world_means', 'att_by_subgroup', 'ips_persons', 'hazards'])
      expect(truthWithout[key], key).toEqual(truth[key]);
    expect(truth.synth_bad_rows.healthcare_costs).toBeGreaterThan(0);
    expect(truthWithout.synth_bad_rows).toEqual({ ...truth.synth_bad_rows, healthcare_costs: undefined });
    expect(summaries.withoutHealthcareCosts!.files.map((file) => file.extract)).not.toContain('healthcare_costs');
  });

  test('trajectory persons have costs from two years before to three after the index year, up to the year they die or emigrate and the last complete year', async () => {
    expect(await count('select count(*) from large_healthcare_costs_accepted')).toBeGreaterThan(100_000);
    expect(
      await count(
        `select count(*) from large_healthcare_costs_accepted as costs
         join ${firstTrajectories} as first using (person_id)
         join large_persons_accepted as persons using (person_id)
         where costs.year not between year(first.start_date) - 2 and year(first.start_date) + 3
            or costs.year > year(least(persons.death_date, persons.emigration_date))
            or costs.year > 2020`,
      ),
    ).toBe(0);
    expect(
      await count(
        `select count(*) from large_healthcare_costs_accepted where person_id not in (select person_id from large_trajectories_accepted)`,
      ),
    ).toBe(0);
    expect(await count('select count(distinct category) from large_healthcare_costs_accepted')).toBe(5);
  });

  test('mental-health costs with SMI are thousands of euros a year, GP costs a few hundred', async () => {
    const means = await db.query<{ category: string; mean_eur: number }>(
      'healthcare means',
      `select category, avg(costs.cost_eur)::double as mean_eur
       from large_healthcare_costs_accepted as costs
       join ${firstTrajectories} as first using (person_id)
       where first.target_group = 'SMI'
       group by category order by category`,
    );
    const mean = (category: string) => means.find((row) => row.category === category)?.mean_eur ?? Number.NaN;
    expect(mean('MENTAL_HEALTH')).toBeGreaterThan(3000);
    expect(mean('MENTAL_HEALTH')).toBeLessThan(15_000);
    expect(mean('GP')).toBeGreaterThan(150);
    expect(mean('GP')).toBeLessThan(800);
  });

  test('after the index year, the mental-health costs of persons whose first programme is IPS fall relative to TVR', async () => {
    const ratios = await db.query<{ programme: string; after_to_before: number }>(
      'mental-health costs after the index year',
      `select first.programme,
              (avg(costs.cost_eur) filter (where costs.year > year(first.start_date))
               / avg(costs.cost_eur) filter (where costs.year < year(first.start_date)))::double as after_to_before
       from large_healthcare_costs_accepted as costs
       join ${firstTrajectories} as first using (person_id)
       where costs.category = 'MENTAL_HEALTH'
       group by first.programme order by first.programme`,
    );
    const [ips, tvr] = ratios;
    expect(ips?.programme).toBe('IPS');
    expect(ips!.after_to_before / tvr!.after_to_before).toBeGreaterThan(0.8);
    expect(ips!.after_to_before / tvr!.after_to_before).toBeLessThan(0.97);
  });

  test('delivery 1 holds the years up to 2017, the last one provisional; delivery 2 re-sends 2017 with the final costs, about 75% of them 3-20% higher', async () => {
    expect(await count('select max(year) from large_first_healthcare_costs_accepted')).toBe(2017);
    expect(await count('select min(year) from large_second_healthcare_costs_accepted')).toBe(2017);
    const [resent] = await db.query<{ rows: number; resent: number; corrected: number; outside: number }>(
      'provisional costs',
      `select
         (select count(*) from large_first_healthcare_costs_accepted where year = 2017)::double as rows,
         count(*)::double as resent,
         count(*) filter (where first.cost_eur < second.cost_eur)::double as corrected,
         count(*) filter (where first.cost_eur > second.cost_eur or first.cost_eur < 0.79 * second.cost_eur)::double as outside
       from large_first_healthcare_costs_accepted as first
       join large_second_healthcare_costs_accepted as second using (person_id, year, category)`,
    );
    expect(resent!.resent).toBe(resent!.rows);
    expect(resent!.corrected / resent!.resent).toBeGreaterThan(0.7);
    expect(resent!.corrected / resent!.resent).toBeLessThan(0.8);
    expect(resent!.outside).toBe(0);
  });
});

/** The tables of a world of SMALL_PERSONS (seed 11) in a database of its own, two threads, as one delivery or two. */
async function smallWorld(deliveries: 1 | 2): Promise<Database> {
  const own = await Database.open(':memory:', { threads: 2 });
  const coverage = { from: '2010-07-01', to: '2021-06-01' };
  try {
    await generateWorld(own, {
      persons: SMALL_PERSONS,
      seed: 11,
      extractDate: '2021-06-30',
      deliveries,
      firstExtractDate: deliveries === 1 ? '2021-06-30' : '2018-06-30',
      coverage: { employmentPeriods: coverage, benefitSpells: { ...coverage, from: '2008-01-01' } },
    });
  } catch (error) {
    own.close();
    throw error;
  }
  return own;
}

describe('benefit episodes', () => {
  test('the episode duration measured from the delivered spells (gaps up to 31 days join) gives every trajectory person the latent band; the last spell alone does not', async () => {
    const own = await smallWorld(1);
    try {
      const [row] = await own.query<{ persons: number; episode_band_differs: number; last_spell_band_differs: number }>(
        'episodes',
        `with
         spells as (
           select person_no, start_date, coalesce(end_date, date '9999-12-31') as end_date
           from synth_delivered_spell where benefit_type in ${QUALIFYING}
         ),
         ordered as (
           select *, max(end_date) over (partition by person_no order by start_date, end_date
                                        rows between unbounded preceding and 1 preceding) as previous_end
           from spells
         ),
         episodes as (
           select *, sum(if(previous_end is null or start_date - previous_end - 1 > 31, 1, 0))
                       over (partition by person_no order by start_date, end_date) as episode_no
           from ordered
         ),
         episode_starts as (
           select person_no, episode_no, min(start_date) over (partition by person_no, episode_no) as episode_start,
                  start_date, end_date
           from episodes
         ),
         at_index as (
           select persons.person_no, persons.benefit_months_band,
                  date_diff('month', episode_start, persons.index_date) as episode_months,
                  date_diff('month', episode_starts.start_date, persons.index_date) as last_spell_months
           from synth_person as persons
           join episode_starts
             on episode_starts.person_no = persons.person_no
             and episode_starts.start_date <= persons.index_date and episode_starts.end_date >= persons.index_date
         ),
         banded as (
           select *,
             case when episode_months < 12 then '0-11' when episode_months < 24 then '12-23'
                  when episode_months < 60 then '24-59' else '60+' end as episode_band,
             case when last_spell_months < 12 then '0-11' when last_spell_months < 24 then '12-23'
                  when last_spell_months < 60 then '24-59' else '60+' end as last_spell_band
           from at_index
         )
         select count(*)::double as persons,
                count(*) filter (where episode_band <> benefit_months_band)::double as episode_band_differs,
                count(*) filter (where last_spell_band <> benefit_months_band)::double as last_spell_band_differs
         from banded`,
      );
      expect(row!.persons).toBeGreaterThan(1000);
      expect(row!.episode_band_differs).toBe(0);
      expect(row!.last_spell_band_differs).toBeGreaterThan(50);
    } finally {
      own.close();
    }
  });
});

/**
 * The pipeline's measurement, written out in plain SQL over the accepted
 * rows of the single delivery: the IPS arm of the study population, its
 * observed person-months and their outcomes. The IPS world is the observed
 * world of IPS persons, so these must equal truth.json's ips_world means
 * exactly.
 */
describe('truth.json', () => {
  test('holds the ATT for event months 1..36 in order, for employed_any, employed_48h and on_benefit, with its population', () => {
    const truth = readJson(dirs.oneThread, 'truth.json');
    const months = Array.from({ length: 36 }, (_, index) => String(index + 1));
    for (const outcome of TRUTH_OUTCOMES) {
      expect(Object.keys(truth.att[outcome]), outcome).toEqual(months);
      for (const value of Object.values(truth.att[outcome])) expect(Math.abs(value as number)).toBeLessThan(1);
      for (const world of ['ips_world', 'control_world']) {
        expect(Object.keys(truth.world_means[world][outcome]), `${world} ${outcome}`).toEqual(months);
      }
      for (const levels of Object.values(truth.att_by_subgroup) as Record<string, Record<string, unknown>>[]) {
        for (const level of Object.values(levels)) expect(Object.keys(level[outcome] as object)).toEqual(months);
      }
    }
    expect(Object.keys(truth.att_by_subgroup).sort()).toEqual(['funder', 'provider', 'target_group']);
    expect(Object.keys(truth.ips_persons_observed)).toEqual(months);
    expect(truth.ips_persons_observed['1']).toBeLessThanOrEqual(truth.ips_persons);
    expect(truth.ips_persons_observed['36']).toBeLessThan(truth.ips_persons_observed['1']);
    expect(truth.persons).toBe(SMALL_PERSONS);
    expect(truth.seed).toBe(11);
    expect(truth.ips_persons).toBe(summaries.oneThread?.ipsPersons);
    expect(truth.deliveries.map((delivery: { delivery_id: string }) => delivery.delivery_id)).toEqual(['synth-11']);
  });

  test('the two-delivery world has the same truth as the single delivery of its seed', () => {
    const single = readJson(dirs.oneThread, 'truth.json');
    const twoDeliveries = readJson(`${dirs.twoDeliveriesOneThread}.2`, 'truth.json');
    for (const key of ['att', 'world_means', 'att_by_subgroup', 'ips_persons', 'ips_persons_observed']) {
      expect(twoDeliveries[key], key).toEqual(single[key]);
    }
  });

  test.each([
    ['the single delivery of 2,000 persons', 'single', dirs.oneThread],
    ['two deliveries of 20,000 persons, merged', 'large', `${dirs.large}.2`],
  ])(
    "the IPS world means, persons and observed persons equal the pipeline's measurement of the IPS arm from the files: %s",
    async (_name, prefix, dir) => {
      const truth = readJson(dir, 'truth.json');
      const coverage = readManifest(dir).coverage!;
      const coveredFrom = [coverage.employment_periods!.from, coverage.benefit_spells!.from].sort().at(-1);
      const coveredTo = [coverage.employment_periods!.to, coverage.benefit_spells!.to].sort()[0];
      await db.run(
        'cohort',
        `create or replace table ${prefix}_ips_cohort as
       with
       ranked as (
         select *, row_number() over (partition by person_id order by start_date, trajectory_id) as trajectory_rank
         from ${prefix}_trajectories_accepted
       ),
       first as (select * from ranked where trajectory_rank = 1),
       same_day as (
         select distinct first.person_id from first
         join ${prefix}_trajectories_accepted as other
           on other.person_id = first.person_id and other.start_date = first.start_date and other.programme <> first.programme
       ),
       on_benefit_at_index as (
         select distinct first.person_id from first
         join ${prefix}_benefit_spells_accepted as spells
           on spells.person_id = first.person_id and spells.benefit_type in ${QUALIFYING}
           and spells.start_date <= first.start_date and (spells.end_date is null or spells.end_date >= first.start_date)
       ),
       candidates as (
         select first.person_id, first.programme, first.start_date as index_date,
                date_trunc('month', first.start_date)::date as index_month,
                year(first.start_date) - persons.birth_year as age_at_index,
                persons.death_date, persons.emigration_date, pension.state_pension_month
         from first
         join ${prefix}_persons_accepted as persons using (person_id)
         join state_pension_month as pension
           on pension.birth_year = persons.birth_year and pension.birth_month = coalesce(persons.birth_month, 1)
       )
       select * from candidates
       where programme = 'IPS'
         and person_id not in (select person_id from same_day)
         and person_id in (select person_id from on_benefit_at_index)
         and index_date between date '2012-01-01' and date '2016-12-31'
         and age_at_index between 18 and 66
         and (death_date is null or death_date > index_date)
         and (emigration_date is null or emigration_date > index_date)
         and state_pension_month > index_date
         and date '${coveredFrom}-01' <= index_month - interval 24 month
         and date '${coveredTo}-01' >= index_month + interval 36 month`,
      );
      const rows = await db.query<{
        event_month: number;
        observed: number;
        employed_any: number;
        employed_48h: number;
        on_benefit: number;
      }>(
        'ips arm',
        `with
       observed as (
         select person_id, event_month, calendar_month
         from (
           select cohort.*, months.range::integer as event_month, (index_month + to_months(months.range))::date as calendar_month
           from ${prefix}_ips_cohort as cohort cross join range(1, 37) as months
         )
         where calendar_month between date '${coveredFrom}-01' and date '${coveredTo}-01'
           and (death_date is null or death_date > last_day(calendar_month))
           and (emigration_date is null or emigration_date > last_day(calendar_month))
           and calendar_month < state_pension_month
       ),
       work as (
         select observed.person_id, observed.event_month,
                sum((periods.hours_paid * 100)::hugeint
                    * (least(periods.period_end, last_day(observed.calendar_month)) - greatest(periods.period_start, observed.calendar_month) + 1)
                    * (505412435127600 // (periods.period_end - periods.period_start + 1))) as hour_units
         from observed
         join ${prefix}_employment_periods_accepted as periods
           on periods.person_id = observed.person_id and periods.job_type not in ('SHELTERED', 'INTERN')
           and periods.period_start <= last_day(observed.calendar_month) and periods.period_end >= observed.calendar_month
         group by observed.person_id, observed.event_month
       ),
       benefit as (
         select distinct observed.person_id, observed.event_month
         from observed
         join ${prefix}_benefit_spells_accepted as spells
           on spells.person_id = observed.person_id and spells.benefit_type in ${QUALIFYING}
           and spells.start_date <= last_day(observed.calendar_month)
           and (spells.end_date is null or spells.end_date >= observed.calendar_month)
       ),
       counted as (
         select observed.event_month, count(*) as observed,
                count(*) filter (where work.hour_units >= 100 * ${HOUR_UNITS}) as employed_any,
                count(*) filter (where work.hour_units >= 4800 * ${HOUR_UNITS}) as employed_48h,
                count(benefit.person_id) as on_benefit
         from observed
         left join work using (person_id, event_month)
         left join benefit using (person_id, event_month)
         group by observed.event_month
       )
       select event_month, observed::double as observed, round(employed_any / observed, 6) as employed_any,
              round(employed_48h / observed, 6) as employed_48h, round(on_benefit / observed, 6) as on_benefit
       from counted order by event_month`,
      );
      expect(await count(`select count(*) from ${prefix}_ips_cohort`)).toBe(truth.ips_persons);
      expect(rows.length).toBe(36);
      for (const row of rows) {
        const month = String(row.event_month);
        expect(row.observed, `observed ${month}`).toBe(truth.ips_persons_observed[month]);
        for (const outcome of TRUTH_OUTCOMES) {
          expect(row[outcome], `${outcome} ${month}`).toBe(truth.world_means.ips_world[outcome][month]);
        }
      }
    },
  );

  test('the planted employed_48h effect at month 36 is about 8 percentage points at 20,000 persons; IPS lowers benefit receipt', () => {
    const truth = readJson(`${dirs.large}.2`, 'truth.json');
    expect(Math.abs(truth.att.employed_48h['36'] - 0.08)).toBeLessThan(0.03);
    expect(truth.att.employed_any['36']).toBeGreaterThan(truth.att.employed_48h['36']);
    expect(truth.att.on_benefit['36']).toBeLessThan(-0.02);
    for (const month of ['12', '24', '36']) expect(truth.att.on_benefit[month]).toBeLessThan(0);
  });
});

describe('the delivered payroll periods', () => {
  // A view over synth_payroll_period, not a second table of every delivered period (sql/synth/10: at 1,000,000
  // persons 22 M rows and 3.6 GB of the peak), and each delivery's file is copied from it in stored order: an
  // order-keeping COPY over one scan, no join that could reorder the rows with more than one thread.
  test('are a view, copied to each delivery file in stored order without a join', async () => {
    const own = await smallWorld(2);
    try {
      const [kinds] = await own.query<{ tables: number; views: number }>(
        'kinds',
        `select (select count(*) from duckdb_tables() where table_name = 'synth_delivered_period')::integer as tables,
                (select count(*) from duckdb_views() where view_name = 'synth_delivered_period')::integer as views`,
      );
      expect(kinds).toEqual({ tables: 0, views: 1 });
      const plan = await own.query<{ explain_value: string }>(
        'plan',
        `explain copy (select * from synth_delivered_period where delivery_no = 1) to ${quoteLiteral(join(root, 'periods.csv'))} (format csv)`,
      );
      const operators = plan.map((row) => row.explain_value).join('\n');
      expect(operators).toContain('BATCH_COPY_TO_FILE');
      expect(operators).not.toMatch(/JOIN|CROSS_PRODUCT|ORDER_BY/);
      const [counts] = await own.query<{ first: number; second: number }>(
        'counts',
        `select count(*) filter (where delivery_no = 1)::integer as first,
                count(*) filter (where delivery_no = 2)::integer as second
         from synth_delivered_period`,
      );
      expect(counts!.first).toBeGreaterThan(0);
      expect(counts!.second).toBeGreaterThan(0);
    } finally {
      own.close();
    }
  });
});
