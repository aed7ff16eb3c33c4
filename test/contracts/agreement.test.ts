/**
 * The zod parser and the generated SQL rules are two readings of one
 * contract: on generated good and bad rows they must fail the same rules,
 * in the same order, row by row.
 */
import { describe, expect, test } from 'vitest';
import { checkRawRow, type Extract, type RawRow, type RuleContext } from '../../src/contracts/define-extract.js';
import { EXTRACTS } from '../../src/contracts/extracts.js';
import { checkRowsSql } from '../../src/contracts/validation-sql.js';
import { quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { withDatabase } from '../support/delivery.js';
import { seededUniform } from '../support/seeded-random.js';

/** Row rules may depend on the delivery: deaths and emigrations after its extract date are errors. */
const CONTEXT: RuleContext = { extractDate: '2021-06-30' };

const GOOD: Record<string, RawRow> = {
  persons: {
    person_id: 'P0001',
    birth_year: '1980',
    sex: 'F',
    region: 'AMR01',
    birth_month: '5',
    death_date: '2021-06-30',
    emigration_date: '1980-05-01',
  },
  benefit_spells: {
    spell_id: 'S1',
    person_id: 'P0001',
    benefit_type: 'WGA',
    start_date: '2014-03-01',
    end_date: '2016-02-29',
    monthly_amount_eur: '1500.25',
    incapacity_cause: 'MENTAL',
  },
  employment_periods: {
    period_id: 'E1',
    person_id: 'P0001',
    job_id: 'J1',
    employer_id: 'W1',
    period_start: '2015-01-05',
    period_end: '2015-02-01',
    hours_paid: '64.5',
    wage_eur: '900',
    job_type: 'REGULAR',
  },
  trajectories: {
    trajectory_id: 'T1',
    person_id: 'P0001',
    programme: 'IPS',
    start_date: '2014-05-01',
    end_date: '2015-05-01',
    provider_id: 'PR1',
    funder: 'UWV',
    target_group: 'SMI',
    cost_eur: '8000',
  },
  healthcare_costs: {
    person_id: 'P0001',
    year: '2020',
    category: 'MENTAL_HEALTH',
    cost_eur: '4500.50',
  },
};

/** Values that exercise every check: good ones, edge cases, and bad ones of each kind. */
const CANDIDATE_VALUES = [
  undefined,
  '',
  'x',
  'P-1_a',
  'a'.repeat(64),
  'a'.repeat(65),
  'P 1',
  'P1;drop',
  '111222333',
  '123456789',
  '000000000',
  '12345678',
  '1234567890',
  '1980',
  '1899',
  '2101',
  '-5',
  '0',
  '3.5',
  '1e3',
  '12.',
  '.5',
  '1500.123456',
  '1500.1234567',
  '2015-02-28',
  '2016-02-29',
  '2015-02-29',
  '2015-13-01',
  '15/03/2015',
  '2015-1-5',
  // digits outside ASCII and padding: the SQL's GLOB and regexes must refuse them as the zod rules do
  '２０１５-０２-２８',
  '١٢٣٤٥٦٧٨٩',
  '2015-02-28 ',
  ' 2015-02-28',
  '12345678\n',
  '2014-01-01',
  '2030-12-31',
  '1979-12-31',
  '1980-04-30',
  '1980-05-01',
  '2021-07-01',
  '4',
  '12',
  '13',
  '123456789012.5',
  '1234567890123',
  'WGA',
  'XX',
  'wga',
  'REGULAR',
  'SHELTERED',
  'FULLTIME',
  'IPS',
  'TVR',
  'IPSX',
  'UWV',
  'SMI',
  'MENTAL',
  'M',
  'F',
  'X',
  'Q',
  '2005',
  '2006',
  '2021',
  '2022',
  'GP',
  'MENTAL_HEALTH',
  'DENTAL',
];

function generateRows(extract: Extract, count: number): RawRow[] {
  const random = seededUniform(extract.name.length * 7919);
  const good = GOOD[extract.name]!;
  const rows: RawRow[] = [good];
  for (const column of extract.columnNames) {
    for (const value of CANDIDATE_VALUES) rows.push({ ...good, [column]: value });
  }
  while (rows.length < count) {
    const row = { ...good };
    const mutations = 1 + Math.floor(random() * 3);
    for (let index = 0; index < mutations; index++) {
      const column = extract.columnNames[Math.floor(random() * extract.columnNames.length)]!;
      row[column] = CANDIDATE_VALUES[Math.floor(random() * CANDIDATE_VALUES.length)];
    }
    rows.push(row);
  }
  return rows;
}

async function sqlVerdicts(extract: Extract, rows: RawRow[]): Promise<string[][]> {
  return withDatabase(async (db) => {
    const columns = extract.columnNames.map(quoteIdentifier).join(', ');
    const values = rows.map(
      (row, index) =>
        `(${index}, '', ${extract.columnNames.map((column) => (row[column] === undefined || row[column] === '' ? 'null::varchar' : quoteLiteral(row[column]!))).join(', ')})`,
    );
    await db.run(
      'raw rows',
      `create table raw_rows as select * from (values ${values.join(', ')}) as t(line_number, row_hash, ${columns})`,
    );
    const checked = await db.query<{ line_number: number; failed_rules: string[] }>(
      'check',
      `select line_number, failed_rules from (${checkRowsSql(extract, 'raw_rows', CONTEXT)}) order by line_number`,
    );
    return checked.map((row) => row.failed_rules);
  });
}

describe.each(EXTRACTS.map((extract) => [extract.name, extract] as const))('contract %s', (_name, extract) => {
  test('zod and the SQL rules fail the same rules in the same order on every generated row', async () => {
    const rows = generateRows(extract, 2000);
    const fromSql = await sqlVerdicts(extract, rows);
    const fromZod = rows.map((row) => checkRawRow(extract, row, CONTEXT).failedRules);
    const disagreements = rows
      .map((row, index) => ({ row, zod: fromZod[index], sql: fromSql[index] }))
      .filter((entry) => JSON.stringify(entry.zod) !== JSON.stringify(entry.sql));
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The generator must exercise both outcomes and many distinct rules.
    expect(fromZod.filter((rules) => rules.length === 0).length).toBeGreaterThan(10);
    expect(new Set(fromZod.flat()).size).toBeGreaterThan(extract.columnNames.length);
  });

  test('the template row is valid', () => {
    expect(checkRawRow(extract, GOOD[extract.name]!, CONTEXT)).toEqual({ ok: true, failedRules: [] });
  });
});

describe('dates of death and emigration', () => {
  test.each([
    ['1980-04-30', 'persons.death_date_before_birth'],
    ['1980-05-01', null],
    ['2021-06-30', null],
    ['2021-07-01', 'persons.death_date_after_extract_date'],
  ])('death_date %s for a person born in May 1980, extract date 2021-06-30, fails %s', (death, rule) => {
    const { failedRules } = checkRawRow(EXTRACTS[0], { ...GOOD.persons, death_date: death }, CONTEXT);
    expect(failedRules).toEqual(rule ? [rule] : []);
  });

  test('without a birth month, any date in the birth year is allowed', () => {
    const row = { ...GOOD.persons, birth_month: undefined, emigration_date: '1980-01-01' };
    expect(checkRawRow(EXTRACTS[0], row, CONTEXT).failedRules).toEqual([]);
    expect(checkRawRow(EXTRACTS[0], { ...row, emigration_date: '1979-12-31' }, CONTEXT).failedRules).toEqual([
      'persons.emigration_date_before_birth',
    ]);
  });
});

describe('identifier leak', () => {
  test.each([
    ['111222333', true],
    ['123456782', true],
    ['123456789', false],
    ['12345678', false],
  ])('person_id %s is rejected as a BSN-like identifier: %s', (value, leaks) => {
    const { failedRules } = checkRawRow(EXTRACTS[0], { ...GOOD.persons, person_id: value }, CONTEXT);
    expect(failedRules.includes('persons.person_id.bsn_leak')).toBe(leaks);
  });
});
