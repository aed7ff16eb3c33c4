import { describe, expect, test } from 'vitest';
import { applyDisclosureControl, complementaryPartRule, minPersonsRule, type ExportTable } from '../../src/disclosure/index.js';
import { seededUniform } from '../../src/seeded-random.js';
import { withDatabase } from '../support/delivery.js';

const effects: ExportTable = {
  name: 'effects',
  source: 'select * from (values (1, 0.1, 9, 50), (2, 0.2, 10, 50), (3, 0.3, 10, 9)) as t(event_month, estimate, n_treated, n_control)',
  orderBy: 'event_month',
  rules: (threshold) => [
    minPersonsRule(threshold, 'n_treated', ['estimate']),
    minPersonsRule(threshold, 'n_control', ['estimate']),
  ],
};

async function disclose(threshold: number) {
  return withDatabase(async (db) => {
    const report = await applyDisclosureControl(db, [effects], threshold);
    const rows = await db.query('read', 'select * from disclosed_effects order by event_month');
    return { report, rows };
  });
}

describe('applyDisclosureControl', () => {
  test.each([
    [9, 'suppressed'],
    [10, 'shown'],
  ])('a count of %i persons at threshold 10 is %s, with the estimate computed from it', async (persons, status) => {
    const { rows } = await disclose(10);
    const row = rows.find((candidate) => (candidate as { event_month: number }).event_month === (persons === 9 ? 1 : 2))!;
    if (status === 'suppressed') expect(row).toMatchObject({ n_treated: null, estimate: null, n_control: 50 });
    else expect(row).toMatchObject({ n_treated: 10, estimate: 0.2 });
  });

  test('disclosure.json counts each changed cell once, per column', async () => {
    const { report } = await disclose(10);
    expect(report.tables[0]).toMatchObject({
      table: 'effects',
      rows: 3,
      cells_suppressed: { n_treated: 1, n_control: 1, estimate: 2 },
    });
    expect(report.tables[0]!.checks.map((check) => [check.rule, check.rows_affected])).toEqual([
      ['min_persons:n_treated', 1],
      ['min_persons:n_control', 1],
    ]);
  });

  test('a lower threshold suppresses nothing here', async () => {
    const { report } = await disclose(9);
    expect(Object.values(report.tables[0]!.cells_suppressed)).toEqual([0, 0, 0]);
  });
});

describe('secondary suppression of parts that add up to a total', () => {
  const levels: ExportTable = {
    name: 'balance',
    source: `select * from (values
        ('sex', 'F', 500, 0.5), ('sex', 'M', 496, 0.49), ('sex', 'X', 4, 0.004),
        ('region', 'A', 300, 0.3), ('region', 'B', 350, 0.35), ('region', 'C', 350, 0.35),
        ('age', '', 1000, 35.1)
      ) as t(covariate, level, persons, mean)`,
    orderBy: 'covariate, level',
    rules: (threshold) => [
      minPersonsRule(threshold, 'persons', ['mean']),
      complementaryPartRule(threshold, 'persons', ['covariate'], "level <> ''", ['mean']),
    ],
  };

  test('a single small level takes the smallest other level of its covariate with it', async () => {
    const rows = await withDatabase(async (db) => {
      await applyDisclosureControl(db, [levels], 10);
      return db.query<{ covariate: string; level: string; persons: number | null }>(
        'read',
        'select covariate, level, persons from disclosed_balance order by covariate, level',
      );
    });
    const suppressed = rows.filter((row) => row.persons === null).map((row) => `${row.covariate}=${row.level}`);
    expect(suppressed).toEqual(['sex=M', 'sex=X']);
  });

  test('no suppressed level can be recovered as the total minus the published levels', async () => {
    const rows = await withDatabase(async (db) => {
      await applyDisclosureControl(db, [levels], 10);
      return db.query<{ covariate: string; level: string; persons: number | null }>('read', "select covariate, level, persons from disclosed_balance where level <> ''");
    });
    for (const covariate of ['sex', 'region']) {
      const group = rows.filter((row) => row.covariate === covariate);
      const hidden = group.filter((row) => row.persons === null).length;
      expect(hidden === 0 || hidden >= 2, covariate).toBe(true);
    }
  });
});

describe('property: on random tables, no suppressed count can be recovered from the arm total', () => {
  test.each([1, 2, 3, 4, 5])('random categorical tables, seed %i', async (seed) => {
    const uniform = seededUniform(seed);
    const threshold = 10;
    const cells: { covariate: string; level: string; persons: number }[] = [];
    for (let covariate = 0; covariate < 40; covariate++) {
      const levels = 2 + Math.floor(uniform() * 5);
      for (let level = 0; level < levels; level++) {
        // Mostly small counts, so suppression is exercised hard.
        cells.push({ covariate: `c${covariate}`, level: `l${level}`, persons: Math.floor(uniform() ** 2 * 40) });
      }
    }
    const table: ExportTable = {
      name: 'levels',
      source: `select * from (values ${cells.map((cell) => `('${cell.covariate}', '${cell.level}', ${cell.persons})`).join(', ')})
          as t(covariate, level, persons)`,
      orderBy: 'covariate, level',
      rules: (limit) => [minPersonsRule(limit, 'persons'), complementaryPartRule(limit, 'persons', ['covariate'], "level <> ''")],
    };
    const published = await withDatabase(async (db) => {
      await applyDisclosureControl(db, [table], threshold);
      return db.query<{ covariate: string; level: string; persons: number | null }>('read', 'select * from disclosed_levels');
    });
    for (const covariate of new Set(cells.map((cell) => cell.covariate))) {
      const group = cells.filter((cell) => cell.covariate === covariate);
      const total = group.reduce((sum, cell) => sum + cell.persons, 0);
      if (total < threshold) continue; // the arm total itself would be suppressed
      const shown = published.filter((row) => row.covariate === covariate && row.persons !== null);
      for (const row of shown) expect(row.persons).toBeGreaterThanOrEqual(threshold);
      const hiddenTotal = total - shown.reduce((sum, row) => sum + row.persons!, 0);
      const hiddenCells = group.length - shown.length;
      // What subtraction from the total reveals is one sum over the hidden cells: never below the threshold.
      expect(hiddenCells === 0 || hiddenTotal >= threshold, `${covariate}: ${hiddenCells} hidden, sum ${hiddenTotal}`).toBe(true);
    }
  });
});

describe('optional rounding', () => {
  test('person counts are rounded to the base after suppression; other values are untouched', async () => {
    const counts: ExportTable = {
      name: 'counts',
      source: 'select * from (values (1, 0.25, 12), (2, 0.5, 13), (3, 0.75, 7)) as t(step, share, persons)',
      orderBy: 'step',
      rules: (threshold) => [minPersonsRule(threshold, 'persons', ['share'])],
    };
    const { report, rows } = await withDatabase(async (db) => {
      const disclosed = await applyDisclosureControl(db, [counts], 10, 5);
      return { report: disclosed, rows: await db.query('read', 'select * from disclosed_counts order by step') };
    });
    expect(rows).toEqual([
      { step: 1, share: 0.25, persons: 10n },
      { step: 2, share: 0.5, persons: 15n },
      { step: 3, share: null, persons: null },
    ]);
    expect(report.tables[0]!.rounding).toEqual({ base: 5, columns: ['persons'] });
  });
});
