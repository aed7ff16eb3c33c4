/**
 * The zod parser and the generated SQL rules are two readings of one
 * contract: on generated good and bad rows they must fail the same rules,
 * in the same order, row by row.
 */
import { describe, expect, test } from 'vitest';
import { checkRawRow, type Extract, type RawRow } from '../../src/contracts/define-extract.js';
import { EXTRACTS } from '../../src/contracts/extracts.js';
import { checkRowsSql } from '../../src/contracts/validation-sql.js';
import { quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { seededUniform } from '../../src/seeded-random.js';
import { withDatabase } from '../support/delivery.js';

const GOOD: Record<string, RawRow> = {
  persons: { person_id: 'P0001', birth_year: '1980', sex: 'F', region: 'AMR01' },
  benefit_spells: {
    spell_id: 'S1', person_id: 'P0001', benefit_type: 'WGA', start_date: '2014-03-01',
    end_date: '2016-02-29', monthly_amount_eur: '1500.25', incapacity_cause: 'MENTAL',
  },
  employment_periods: {
    period_id: 'E1', person_id: 'P0001', job_id: 'J1', employer_id: 'W1', period_start: '2015-01-05',
    period_end: '2015-02-01', hours_paid: '64.5', wage_eur: '900', job_type: 'REGULAR',
  },
  trajectories: {
    trajectory_id: 'T1', person_id: 'P0001', programme: 'IPS', start_date: '2014-05-01', end_date: '2015-05-01',
    provider_id: 'PR1', funder: 'UWV', target_group: 'SMI', cost_eur: '8000',
  },
};

/** Values that exercise every check: good ones, edge cases, and bad ones of each kind. */
const CANDIDATE_VALUES = [
  undefined, '', 'x', 'P-1_a', 'a'.repeat(64), 'a'.repeat(65), 'P 1', 'P1;drop', '111222333', '123456789', '000000000',
  '12345678', '1234567890', '1980', '1899', '2101', '-5', '0', '3.5', '1e3', '12.', '.5', '1500.123456', '1500.1234567',
  '2015-02-28', '2016-02-29', '2015-02-29', '2015-13-01', '15/03/2015', '2015-1-5', '2014-01-01', '2030-12-31',
  'WGA', 'XX', 'wga', 'REGULAR', 'SHELTERED', 'FULLTIME', 'IPS', 'TVR', 'IPSX', 'UWV', 'SMI', 'MENTAL', 'M', 'F', 'X', 'Q',
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
    await db.run('staged', `create table staged as select * from (values ${values.join(', ')}) as t(line_number, row_hash, ${columns})`);
    const checked = await db.query<{ line_number: number; failed_rules: string[] }>(
      'check',
      `select line_number, failed_rules from (${checkRowsSql(extract, 'staged')}) order by line_number`,
    );
    return checked.map((row) => row.failed_rules);
  });
}

describe.each(EXTRACTS.map((extract) => [extract.name, extract] as const))('contract %s', (_name, extract) => {
  test('zod and the SQL rules fail the same rules in the same order on every generated row', async () => {
    const rows = generateRows(extract, 2000);
    const fromSql = await sqlVerdicts(extract, rows);
    const fromZod = rows.map((row) => checkRawRow(extract, row).failedRules);
    const disagreements = rows
      .map((row, index) => ({ row, zod: fromZod[index], sql: fromSql[index] }))
      .filter((entry) => JSON.stringify(entry.zod) !== JSON.stringify(entry.sql));
    expect(disagreements.slice(0, 5)).toEqual([]);
    // The generator must exercise both outcomes and many distinct rules.
    expect(fromZod.filter((rules) => rules.length === 0).length).toBeGreaterThan(10);
    expect(new Set(fromZod.flat()).size).toBeGreaterThan(extract.columnNames.length);
  });

  test('the template row is valid', () => {
    expect(checkRawRow(extract, GOOD[extract.name]!)).toEqual({ ok: true, failedRules: [] });
  });
});

describe('identifier leak', () => {
  test.each([
    ['111222333', true],
    ['123456782', true],
    ['123456789', false],
    ['12345678', false],
  ])('person_id %s is rejected as a BSN-like identifier: %s', (value, leaks) => {
    const { failedRules } = checkRawRow(EXTRACTS[0], { ...GOOD.persons, person_id: value });
    expect(failedRules.includes('persons.person_id.bsn_leak')).toBe(leaks);
  });
});
