/**
 * src/contracts/define-extract.ts and the key rules of validation-sql.ts: a
 * key is one column or a composite of required columns; the duplicate rule
 * keeps its id `<extract>.<key>.duplicate` for a single key and is
 * `<extract>.key.duplicate` for a composite one; healthcare_costs is the
 * optional extract, with its year rules on the edges.
 */
import { describe, expect, test } from 'vitest';
import { integerBetween, optional, pseudonym } from '../../src/contracts/columns.js';
import { checkRawRow, defineExtract } from '../../src/contracts/define-extract.js';
import { EXTRACTS, healthcareCosts } from '../../src/contracts/extracts.js';
import { duplicateKeyRuleId, keyColumnsSql, keyValueSql, ruleCatalogue } from '../../src/contracts/validation-sql.js';

const CONTEXT = { extractDate: '2021-06-30' };

function toyExtract(key: string | readonly string[]) {
  return defineExtract({
    name: 'toy',
    description: 'a toy extract',
    key,
    referencesPerson: true,
    columns: { person_id: pseudonym, year: integerBetween(2000, 2100), note: optional(pseudonym) },
    rowRules: [],
  });
}

describe('defineExtract', () => {
  test('a single key becomes a list of one column, a composite key its columns in key order', () => {
    expect(toyExtract('person_id').keyColumns).toEqual(['person_id']);
    expect(toyExtract(['year', 'person_id']).keyColumns).toEqual(['year', 'person_id']);
    expect(healthcareCosts.keyColumns).toEqual(['person_id', 'year', 'category']);
  });

  test.each([
    [['person_id', 'month'], 'toy: key month is not a column'],
    [['person_id', 'note'], 'toy: key note is an optional column'],
    [[], 'toy: the key must name one or more distinct columns'],
    [['year', 'year'], 'toy: the key must name one or more distinct columns'],
  ])('the key %j is refused', (key, message) => {
    expect(() => toyExtract(key)).toThrow(message);
  });

  test('healthcare_costs is the only optional extract and comes last, after trajectories', () => {
    expect(EXTRACTS.map((extract) => [extract.name, extract.optional])).toEqual([
      ['persons', false],
      ['benefit_spells', false],
      ['employment_periods', false],
      ['trajectories', false],
      ['healthcare_costs', true],
    ]);
  });
});

describe('the duplicate key rule', () => {
  test('keeps <extract>.<key>.duplicate for a single key and is <extract>.key.duplicate for a composite key', () => {
    expect(EXTRACTS.map(duplicateKeyRuleId)).toEqual([
      'persons.person_id.duplicate',
      'benefit_spells.spell_id.duplicate',
      'employment_periods.period_id.duplicate',
      'trajectories.trajectory_id.duplicate',
      'healthcare_costs.key.duplicate',
    ]);
  });

  test('has a reason in the rule catalogue that names the key', () => {
    const reasonOf = (extract: (typeof EXTRACTS)[number]) =>
      ruleCatalogue(extract).find((rule) => rule.id === duplicateKeyRuleId(extract))?.reason;
    expect(reasonOf(EXTRACTS[1])).toBe('spell_id must be unique within a delivery; the first occurrence is kept');
    expect(reasonOf(healthcareCosts)).toBe(
      'the key (person_id, year, category) must be unique within a delivery; the first occurrence is kept',
    );
  });

  test('compares a single key as its column and a composite key as a row of its columns', () => {
    expect([keyValueSql(EXTRACTS[1]), keyColumnsSql(EXTRACTS[1], 'current')]).toEqual(['"spell_id"', 'current."spell_id"']);
    expect([keyValueSql(healthcareCosts, 'current'), keyColumnsSql(healthcareCosts)]).toEqual([
      '(current."person_id", current."year", current."category")',
      '"person_id", "year", "category"',
    ]);
  });
});

describe('healthcare_costs rows', () => {
  const row = { person_id: 'P1', year: '2020', category: 'GP', cost_eur: '312.40' };

  test.each([
    ['2005', ['healthcare_costs.year.range']],
    ['2006', []],
    ['2021', []],
    ['2022', ['healthcare_costs.year_after_extract_date']],
  ])('year %s with extract date 2021-06-30 fails %j', (year, rules) => {
    expect(checkRawRow(healthcareCosts, { ...row, year }, CONTEXT).failedRules).toEqual(rules);
  });

  test.each([
    ['category', 'DENTAL', 'healthcare_costs.category.enum'],
    ['cost_eur', '-0.01', 'healthcare_costs.cost_eur.negative'],
    ['cost_eur', '', 'healthcare_costs.cost_eur.required'],
    ['person_id', '123456782', 'healthcare_costs.person_id.bsn_leak'],
  ])('%s %j fails %s', (column, value, rule) => {
    expect(checkRawRow(healthcareCosts, { ...row, [column]: value }, CONTEXT).failedRules).toEqual([rule]);
  });
});
