/**
 * sql/reference/01_create_state_pension_age.sql states the AOW age by date
 * of birth; the law states it per calendar year. A person reaches the age of
 * the year in which they reach it, so the two must agree for every birth
 * month: this checks the table against the ages per year, written here once
 * more from the law (AOW art. 7a).
 */
import { describe, expect, test } from 'vitest';
import { withDatabase } from '../support/delivery.js';

/** The statutory age per calendar year, in months over 65 years. */
const MONTHS_OVER_65_BY_YEAR: Record<number, number> = {
  2012: 0,
  2013: 1,
  2014: 2,
  2015: 3,
  2016: 6,
  2017: 9,
  2018: 12,
  2019: 16,
  2020: 16,
  2021: 16,
  2022: 19,
  2023: 22,
  2024: 24,
  2025: 24,
  2026: 24,
  2027: 24,
  2028: 27,
  2029: 27,
  2030: 27,
};

describe('the state-pension age by birth month', () => {
  test('is the age fixed for the calendar year in which it is reached, for every birth month from 1930 to September 1963', async () => {
    const rows = await withDatabase(async (db) => {
      await db.runFile('reference/01_create_state_pension_age.sql');
      return db.query<{ birth_year: number; birth_month: number; reached_year: number; months_over_65: number }>(
        'read',
        `select birth_year, birth_month, year(state_pension_month)::integer as reached_year,
            (date_diff('month', make_date(birth_year, birth_month, 1), state_pension_month) - 65 * 12)::integer as months_over_65
         from state_pension_month where make_date(birth_year, birth_month, 1) between date '1930-01-01' and date '1963-09-01'
         order by birth_year, birth_month`,
      );
    });
    // From October 1963 on, the age is reached after 2030, for which no age is fixed yet (the table assumes 67 + 3 months).
    expect(rows).toHaveLength(33 * 12 + 9);
    expect(Math.max(...rows.map((row) => row.reached_year))).toBe(2030);
    const wrong = rows.filter((row) => row.months_over_65 !== MONTHS_OVER_65_BY_YEAR[Math.max(2012, row.reached_year)]);
    expect(wrong).toEqual([]);
  });

  test.each([
    [1947, 12, '2012-12-01'],
    [1948, 1, '2013-02-01'],
    [1955, 8, '2021-12-01'],
    [1955, 9, '2022-04-01'],
  ])('born %i-%i: reached in the month starting %s', async (year, month, reached) => {
    const [row] = await withDatabase(async (db) => {
      await db.runFile('reference/01_create_state_pension_age.sql');
      return db.query<{ reached: string }>(
        'read',
        "select strftime(state_pension_month, '%Y-%m-%d') as reached from state_pension_month where birth_year = $year and birth_month = $month",
        { year, month },
      );
    });
    expect(row!.reached).toBe(reached);
  });
});
