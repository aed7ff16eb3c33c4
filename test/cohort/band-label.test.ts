import { describe, expect, test } from 'vitest';
import { withDatabase } from '../support/delivery.js';

describe('band_label', () => {
  test.each([
    [17, '<18'],
    [18, '18-29'],
    [29, '18-29'],
    [30, '30-39'],
    [50, '50+'],
    [66, '50+'],
  ])('age %i falls in band %s of starts [18, 30, 40, 50]', async (value, label) => {
    const [row] = await withDatabase(async (db) => {
      await db.runFile('cohort/02_create_band_macro.sql');
      return db.query<{ label: string }>('band', 'select band_label($value, $starts) as label', { value, starts: [18, 30, 40, 50] });
    });
    expect(row!.label).toBe(label);
  });

  test.each([
    [0, '0'],
    [1, '1-6'],
    [6, '1-6'],
    [7, '7+'],
  ])('%i months worked falls in band %s of starts [0, 1, 7]', async (value, label) => {
    const [row] = await withDatabase(async (db) => {
      await db.runFile('cohort/02_create_band_macro.sql');
      return db.query<{ label: string }>('band', 'select band_label($value, $starts) as label', { value, starts: [0, 1, 7] });
    });
    expect(row!.label).toBe(label);
  });
});
