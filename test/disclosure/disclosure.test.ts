import { describe, expect, test, vi } from 'vitest';
import { complementaryPartRule, differenceRule, minPersonsRule } from '../../src/disclosure/disclosure-control.js';
import { withDatabase } from '../support/delivery.js';
import { discloseRows, type RowsToDisclose } from '../support/disclosure.js';
import { seededUniform } from '../support/seeded-random.js';

const effects: RowsToDisclose = {
  name: 'effects',
  source: 'select * from (values (1, 0.1, 9, 50), (2, 0.2, 10, 50), (3, 0.3, 10, 9)) as t(event_month, estimate, n_treated, n_control)',
  orderBy: 'event_month',
  rules: (threshold) => [minPersonsRule(threshold, 'n_treated', ['estimate']), minPersonsRule(threshold, 'n_control', ['estimate'])],
};

async function disclose(threshold: number) {
  return withDatabase(async (db) => {
    const report = await discloseRows(db, [effects], threshold);
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
  const levels: RowsToDisclose = {
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
      await discloseRows(db, [levels], 10);
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
      await discloseRows(db, [levels], 10);
      return db.query<{ covariate: string; level: string; persons: number | null }>(
        'read',
        "select covariate, level, persons from disclosed_balance where level <> ''",
      );
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
    const table: RowsToDisclose = {
      name: 'levels',
      source: `select * from (values ${cells.map((cell) => `('${cell.covariate}', '${cell.level}', ${cell.persons})`).join(', ')})
          as t(covariate, level, persons)`,
      orderBy: 'covariate, level',
      rules: (limit) => [minPersonsRule(limit, 'persons'), complementaryPartRule(limit, 'persons', ['covariate'], "level <> ''")],
    };
    const published = await withDatabase(async (db) => {
      await discloseRows(db, [table], threshold);
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
    const counts: RowsToDisclose = {
      name: 'counts',
      source: 'select * from (values (1, 0.25, 12), (2, 0.5, 13), (3, 0.75, 7)) as t(step, share, persons)',
      orderBy: 'step',
      rules: (threshold) => [minPersonsRule(threshold, 'persons', ['share'])],
    };
    const { report, rows } = await withDatabase(async (db) => {
      const disclosed = await discloseRows(db, [counts], 10, 5);
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

describe('a count that is part of a larger published count', () => {
  test('is suppressed, with what is derived from it, when the difference is 1 to threshold - 1 persons', async () => {
    const table: RowsToDisclose = {
      name: 'levels',
      source: `select * from (values ('a', 100, 95, 0.5), ('b', 100, 91, 0.4), ('c', 100, 100, 0.1), ('d', 100, 50, 0.2))
          as t(level, before, after, share_after)`,
      orderBy: 'level',
      rules: (threshold) => [differenceRule(threshold, 'before', 'after', ['share_after'])],
    };
    const rows = await withDatabase(async (db) => {
      await discloseRows(db, [table], 10);
      return db.query<{ level: string; after: number | null; share_after: number | null }>(
        'read',
        'select level, after, share_after from disclosed_levels',
      );
    });
    // a: 5 unmatched, b: 9; c: none; d: 50.
    expect(rows.map((row) => [row.level, row.after, row.share_after])).toEqual([
      ['a', null, null],
      ['b', null, null],
      ['c', 100, 0.1],
      ['d', 50, 0.2],
    ]);
  });

  test('one part hidden that way takes a second part of its total with it', async () => {
    const table: RowsToDisclose = {
      name: 'levels',
      source: `select * from (values (1, 'a', 100, 95), (1, 'b', 200, 200), (1, 'c', 300, 300)) as t(grp, level, before, after)`,
      orderBy: 'level',
      rules: (threshold) => [differenceRule(threshold, 'before', 'after'), complementaryPartRule(threshold, 'after', ['grp'], 'true')],
    };
    const rows = await withDatabase(async (db) => {
      await discloseRows(db, [table], 10);
      return db.query<{ level: string; after: number | null }>('read', 'select level, after from disclosed_levels');
    });
    // a is hidden (5 unmatched) though 95 >= 10: alone, it would be the total after minus b and c.
    expect(rows.filter((row) => row.after === null).map((row) => row.level)).toEqual(['a', 'b']);
  });
});

describe('counts published in several tables of a run', () => {
  // Level counts published twice: with their total (balance-like) and alone (subgroups-like).
  const withTotal = (cells: [string, number][]): RowsToDisclose => ({
    name: 'with_total',
    source: `select * from (values ${cells.map(([level, persons]) => `('${level}', ${persons})`).join(', ')}) as t(level, persons)`,
    orderBy: 'level',
    links: [{ column: 'persons', sample: { column: 'level' }, arm: 'all' }],
    rules: (threshold) => [minPersonsRule(threshold, 'persons'), complementaryPartRule(threshold, 'persons', ['grp'], 'true')],
  });
  const alone = (cells: [string, number, number][]): RowsToDisclose => ({
    name: 'alone',
    source: `select * from (values ${cells.map(([level, persons, matched]) => `('${level}', ${persons}, ${matched})`).join(', ')})
        as t(level, persons, matched)`,
    orderBy: 'level',
    links: [{ column: 'persons', sample: { column: 'level' }, arm: 'all' }],
    rules: (threshold) => [minPersonsRule(threshold, 'persons', ['matched']), differenceRule(threshold, 'persons', 'matched')],
  });
  const grouped = (table: RowsToDisclose): RowsToDisclose => ({ ...table, source: `select 1 as grp, * from (${table.source})` });
  /** `with_total` with levels a, b and c, none of them small. */
  const totalOfABC = (): RowsToDisclose =>
    grouped(
      withTotal([
        ['a', 80],
        ['b', 30],
        ['c', 50],
      ]),
    );
  /** `alone` with levels a, b, c, which hides b for a reason of its own. */
  const hidingB = (): RowsToDisclose => ({
    ...alone([
      ['a', 80, 80],
      ['b', 30, 30],
      ['c', 50, 50],
    ]),
    rules: () => [{ id: 'test:hide_b', description: 'hides level b', when: "level = 'b'", suppress: ['persons'] }],
  });

  async function discloseBoth(tables: RowsToDisclose[]) {
    return withDatabase(async (db) => {
      const report = await discloseRows(db, tables, 10);
      const read = (name: string) =>
        db.query<{ level: string; persons: number | null }>('read', `select level, persons from disclosed_${name} order by level`);
      return { report, withTotal: await read('with_total'), alone: await read('alone') };
    });
  }

  test('a level hidden by secondary suppression in one table is hidden in the other too', async () => {
    const {
      report,
      withTotal: first,
      alone: second,
    } = await discloseBoth([
      grouped(
        withTotal([
          ['a', 4],
          ['b', 30],
          ['c', 50],
        ]),
      ),
      alone([
        ['a', 4, 4],
        ['b', 30, 30],
        ['c', 50, 50],
      ]),
    ]);
    expect(first.filter((row) => row.persons === null).map((row) => row.level)).toEqual(['a', 'b']);
    expect(second.filter((row) => row.persons === null).map((row) => row.level)).toEqual(['a', 'b']);
    expect(report.rounds).toBe(2);
    expect(report.tables[1]!.checks.find((check) => check.rule === 'linked:persons')!.rows_affected).toBe(2);
  });

  test('suppression that starts in the other table comes back with its secondary suppression', async () => {
    // alone hides b for a reason of its own; with_total must hide b and then c, its smallest other level; then alone hides c.
    const hideB = hidingB();
    const { report, withTotal: first, alone: second } = await discloseBoth([totalOfABC(), hideB]);
    expect(first.filter((row) => row.persons === null).map((row) => row.level)).toEqual(['b', 'c']);
    expect(second.filter((row) => row.persons === null).map((row) => row.level)).toEqual(['b', 'c']);
    expect(report.rounds).toBe(3);
  });

  test('a table is disclosed again only if it links counts and a key was suppressed since it was last disclosed', async () => {
    const hideB = hidingB();
    const disclosed = await withDatabase(async (db) => {
      const run = vi.spyOn(db, 'run');
      const report = await discloseRows(db, [effects, totalOfABC(), hideB], 10);
      const times = (name: string) => run.mock.calls.filter(([label]) => label === `disclosure: ${name}`).length;
      const rows = await db.query('read', 'select * from disclosed_effects order by event_month');
      return { report, rows, times: { effects: times('effects'), withTotal: times('with_total'), alone: times('alone') } };
    });
    // Round 1: alone hides b. Round 2: with_total hides b and c, alone c. Round 3: with_total sees c, alone has seen
    // every key; no new key, so the rounds end. effects links nothing: once.
    expect(disclosed.report.rounds).toBe(3);
    expect(disclosed.times).toEqual({ effects: 1, withTotal: 3, alone: 2 });
    expect(disclosed.report.tables.map((table) => table.table)).toEqual(['effects', 'with_total', 'alone']);
    expect(disclosed.rows).toEqual((await disclose(10)).rows);
  });
});

describe('property: on random linked tables, a hidden count is hidden everywhere and never recoverable from a total', () => {
  test.each([11, 12, 13, 14, 15])('seed %i', async (seed) => {
    const uniform = seededUniform(seed);
    const threshold = 10;
    const cells: { covariate: string; level: string; persons: number; matched: number }[] = [];
    for (let covariate = 0; covariate < 30; covariate++) {
      const levels = 2 + Math.floor(uniform() * 5);
      for (let level = 0; level < levels; level++) {
        const persons = Math.floor(uniform() ** 2 * 60);
        cells.push({ covariate: `c${covariate}`, level: `l${level}`, persons, matched: persons - Math.floor(uniform() * 14) });
      }
    }
    const values = cells.map((cell) => `('${cell.covariate}', '${cell.level}', ${cell.persons}, ${Math.max(cell.matched, 0)})`).join(', ');
    const source = `select * from (values ${values}) as t(covariate, level, persons, matched)`;
    const link = { column: 'persons', sample: { column: 'covariate' }, arm: 'all', level: { column: 'level' } } as const;
    const tables: RowsToDisclose[] = [
      {
        name: 'parts',
        source: `select covariate, level, persons from (${source})`,
        orderBy: 'covariate, level',
        links: [link],
        rules: (limit) => [minPersonsRule(limit, 'persons'), complementaryPartRule(limit, 'persons', ['covariate'], 'true')],
      },
      {
        name: 'nested',
        source,
        orderBy: 'covariate, level',
        links: [link],
        rules: (limit) => [minPersonsRule(limit, 'persons', ['matched']), differenceRule(limit, 'persons', 'matched')],
      },
    ];
    const { parts, nested } = await withDatabase(async (db) => {
      await discloseRows(db, tables, threshold);
      type Row = { covariate: string; level: string; persons: number | null; matched?: number | null };
      return {
        parts: await db.query<Row>('read', 'select * from disclosed_parts order by covariate, level'),
        nested: await db.query<Row>('read', 'select * from disclosed_nested order by covariate, level'),
      };
    });
    expect(parts.map((row) => row.persons === null)).toEqual(nested.map((row) => row.persons === null));
    for (const covariate of new Set(cells.map((cell) => cell.covariate))) {
      const group = cells.filter((cell) => cell.covariate === covariate);
      if (group.reduce((sum, cell) => sum + cell.persons, 0) < threshold) continue; // the total itself would be suppressed
      const shown = parts.filter((row) => row.covariate === covariate && row.persons !== null);
      const hiddenCells = group.length - shown.length;
      const hiddenTotal = group.reduce((sum, cell) => sum + cell.persons, 0) - shown.reduce((sum, row) => sum + row.persons!, 0);
      expect(
        hiddenCells === 0 || (hiddenCells >= 2 && hiddenTotal >= threshold),
        `${covariate}: ${hiddenCells} hidden, sum ${hiddenTotal}`,
      ).toBe(true);
    }
    for (const row of nested.filter((candidate) => candidate.matched !== null && candidate.persons !== null)) {
      const difference = row.persons! - row.matched!;
      expect(difference === 0 || difference >= threshold, `${row.covariate}=${row.level}`).toBe(true);
    }
  });
});
