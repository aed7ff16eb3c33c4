/**
 * Identifier leaks beyond person_id: every identifier-like column (an id, a
 * code such as region) and every amount rejects a value that looks like a
 * citizen service number, under a rule named after its extract and column,
 * so the ledger counts leaks per class without holding a value.
 */
import { describe, expect, test } from 'vitest';
import { looksLikeBsn } from '../../src/contracts/columns.js';
import { checkRawRow } from '../../src/contracts/define-extract.js';
import { EXTRACTS } from '../../src/contracts/extracts.js';

const BSN_LIKE = '123456782';
const CONTEXT = { extractDate: '2021-06-30' };

/** Columns that identify something (ids, codes of free form) or hold amounts: the places a BSN could land. */
const LEAK_PRONE = EXTRACTS.flatMap((extract) =>
  extract.columnNames
    .filter((name) => /_id$/.test(name) || name === 'region' || extract.columns[name]!.duckdbType.startsWith('DECIMAL'))
    .map((name) => [extract.name, name] as const),
);

describe('identifier leaks', () => {
  test('the planted value passes the 11-test', () => {
    expect(looksLikeBsn(BSN_LIKE)).toBe(true);
  });

  test('covers ids, region and amounts in every extract', () => {
    expect(LEAK_PRONE).toEqual(
      expect.arrayContaining([
        ['employment_periods', 'employer_id'],
        ['employment_periods', 'job_id'],
        ['trajectories', 'provider_id'],
        ['persons', 'region'],
        ['healthcare_costs', 'cost_eur'],
      ]),
    );
  });

  test.each(LEAK_PRONE)('%s.%s rejects a BSN-like value as bsn_leak', (extractName, column) => {
    const extract = EXTRACTS.find((candidate) => candidate.name === extractName)!;
    const row = Object.fromEntries(extract.columnNames.map((name) => [name, undefined]));
    const { failedRules } = checkRawRow(extract, { ...row, [column]: BSN_LIKE }, CONTEXT);
    expect(failedRules).toContain(`${extractName}.${column}.bsn_leak`);
  });

  test.each(LEAK_PRONE)('%s.%s accepts a 9-digit value failing the 11-test', (extractName, column) => {
    const extract = EXTRACTS.find((candidate) => candidate.name === extractName)!;
    const row = Object.fromEntries(extract.columnNames.map((name) => [name, undefined]));
    const { failedRules } = checkRawRow(extract, { ...row, [column]: '123456789' }, CONTEXT);
    expect(failedRules.filter((rule) => rule.startsWith(`${extractName}.${column}.`))).toEqual([]);
  });
});
