/**
 * delivery.json (src/contracts/delivery.ts, read by src/ingest/delivery-manifest.ts):
 * a bad coverage or mode refuses the delivery with one line naming the field.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lastCompleteMonth } from '../../src/contracts/delivery.js';
import { readDelivery } from '../../src/ingest/delivery-manifest.js';
import { makeTempDir, writeDelivery } from '../support/delivery.js';

const PERSONS = { name: 'persons.csv', extract: 'persons', csv: 'person_id,birth_year,sex,region\nP1,1980,F,\n' };
const SPELLS = {
  name: 'benefit_spells.csv',
  extract: 'benefit_spells',
  csv: 'spell_id,person_id,benefit_type,start_date,end_date,monthly_amount_eur,incapacity_cause\nS1,P1,WGA,2014-01-01,,1.00,\n',
};

/** Writes a delivery, then lets `edit` change its delivery.json. */
// biome-ignore lint/suspicious/noExplicitAny: the edits reach into delivery.json as a broken sender would, type or not
function deliveryWith(edit: (manifest: Record<string, any>) => void): string {
  const landing = makeTempDir();
  const dir = writeDelivery(landing, 'd1', [PERSONS, SPELLS], '2021-06-15');
  const manifest = JSON.parse(readFileSync(join(dir, 'delivery.json'), 'utf8'));
  edit(manifest);
  writeFileSync(join(dir, 'delivery.json'), JSON.stringify(manifest));
  return landing;
}

describe('delivery.json', () => {
  test('a coverage stated as months within the extract date is read, and mode defaults to incremental', () => {
    const landing = deliveryWith((manifest) => {
      manifest.coverage = { benefit_spells: { from: '2008-01', to: '2021-05' } };
    });
    const { manifest } = readDelivery(landing, 'd1');
    expect(manifest.coverage).toEqual({ benefit_spells: { from: '2008-01', to: '2021-05' } });
    expect(manifest.files.map((file) => file.mode)).toEqual(['incremental', 'incremental']);
  });

  test.each([
    [
      'a coverage that is not a month range',
      { benefit_spells: { from: '2008', to: '2021-05' } },
      /coverage.benefit_spells.from: a month as YYYY-MM/,
    ],
    [
      'a coverage whose from is after its to',
      { benefit_spells: { from: '2021-05', to: '2008-01' } },
      /coverage.benefit_spells: from must not be after to/,
    ],
    [
      'a coverage past the last month complete at the extract date',
      { benefit_spells: { from: '2008-01', to: '2021-06' } },
      /coverage.benefit_spells.to: 2021-06 is after 2021-05/,
    ],
    [
      'a coverage of an extract the delivery has no file of',
      { employment_periods: { from: '2008-01', to: '2021-05' } },
      /coverage.employment_periods: no file of this extract/,
    ],
    // A key outside the schema is counted, not printed: delivery.json is sender text.
    ['a coverage of an unknown extract', { payroll: { from: '2008-01', to: '2021-05' } }, /coverage: 1 unrecognized key\(s\)$/],
  ])('%s is refused', (_case, coverage, message) => {
    const landing = deliveryWith((manifest) => {
      manifest.coverage = coverage;
    });
    expect(() => readDelivery(landing, 'd1')).toThrow(message);
  });

  test('an unknown mode is refused', () => {
    const landing = deliveryWith((manifest) => {
      manifest.files[0].mode = 'replace';
    });
    expect(() => readDelivery(landing, 'd1')).toThrow(/d1\/delivery.json is invalid: files.0.mode: Invalid option/);
  });

  test('a full file must be the only file of its extract in the delivery', () => {
    const landing = deliveryWith((manifest) => {
      manifest.files.push({ ...manifest.files[0], name: 'persons-2.csv', mode: 'full' });
    });
    expect(() => readDelivery(landing, 'd1')).toThrow(/files.2.mode: a full file must be the only file of its extract \(persons\)/);
  });
});

describe('lastCompleteMonth', () => {
  test.each([
    ['2021-06-30', '2021-06'],
    ['2021-06-29', '2021-05'],
    ['2021-01-15', '2020-12'],
    ['2020-02-29', '2020-02'],
    ['2021-02-28', '2021-02'],
  ])('an extract dated %s holds %s completely', (date, month) => {
    expect(lastCompleteMonth(date)).toBe(month);
  });
});
