import { expect, test } from 'vitest';
import { unitsByValue } from '../../src/match/balance-statistics.js';
import { assignExactCells } from '../../src/match/exact-strata.js';
import { valueRanks } from '../../src/match/value-ranks.js';

/** The order the comparator sort gave (as computeBalance sorted before): by value, equal values by unit. */
const byComparator = (values: Float64Array) => [
  ...Int32Array.from({ length: values.length }, (_, unit) => unit).sort((a, b) => values[a]! - values[b]! || a - b),
];
/** The sign of a difference, -0 as 0. */
const sign = (difference: number) => Math.sign(difference) || 0;

/** A seeded stream of values in [0, 1). */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

test('ranks ascend with the values, equal values (-0 and 0 too) share one; NaN has none', () => {
  expect(valueRanks(Float64Array.of(1, Number.NaN))).toBeNull();
  for (const values of [Float64Array.of(2012, 2016, 2012, 2014), Float64Array.of(0.5, -0, 1e9, 0, -3.25, 0.5)]) {
    const { rank, count } = valueRanks(values)!;
    for (let a = 0; a < values.length; a++) {
      expect(rank[a]).toBeLessThan(count);
      for (let b = 0; b < values.length; b++) expect(sign(rank[a]! - rank[b]!)).toBe(sign(values[a]! - values[b]!));
    }
  }
});

test('units by value are the order of a sort by (value, unit): integers, decimals, infinities, -0 and NaN', () => {
  const random = seeded(7);
  const cases = [
    Float64Array.from({ length: 500 }, () => Math.floor(random() * 40) + 18),
    Float64Array.from({ length: 500 }, () => Math.round(random() * 1e6) / 100),
    Float64Array.from({ length: 500 }, () => Math.floor(random() * 1e9)),
    Float64Array.of(3, Number.POSITIVE_INFINITY, -0, 0, Number.NEGATIVE_INFINITY, 3, -0),
    Float64Array.of(2, Number.NaN, 1, 2),
    new Float64Array(0),
  ];
  for (const values of cases) expect([...unitsByValue(values)]).toEqual(byComparator(values));
});

test('exact cells are the dense ranks of a sort by the columns in turn, whichever way they are found', () => {
  const random = seeded(11);
  const units = 400;
  const sexes = ['M', 'F', 'X'];
  const columns = [
    { name: 'sex', kind: 'categorical' as const, values: Array.from({ length: units }, () => sexes[Math.floor(random() * 3)]!) },
    { name: 'year', kind: 'numeric' as const, values: Float64Array.from({ length: units }, () => 2012 + Math.floor(random() * 5)) },
    { name: 'wage', kind: 'numeric' as const, values: Float64Array.from({ length: units }, () => Math.floor(random() * 4) * 1000.5) },
  ];
  const cells = assignExactCells(columns, units);
  // NaN has no rank: the same columns with a NaN are sorted by the comparator; the NaN unit aside, the cells agree
  const withNaN = [...columns, { name: 'nan', kind: 'numeric' as const, values: new Float64Array(units).fill(1) }];
  withNaN[3]!.values[0] = Number.NaN;
  const sorted = assignExactCells(withNaN, units);
  const key = (unit: number) => `${columns[0]!.values[unit]}|${String(columns[1]!.values[unit]).padStart(5)}|${columns[2]!.values[unit]}`;
  const distinct = [...new Set([...Array(units).keys()].map(key))];
  expect(Math.max(...cells) + 1).toBe(distinct.length);
  for (let a = 1; a < units; a++) {
    for (const b of [0, a - 1]) {
      expect(sign(cells[a]! - cells[b]!), `${a} ${b}`).toBe(key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
      if (a !== 0 && b !== 0) expect(sign(sorted[a]! - sorted[b]!)).toBe(sign(cells[a]! - cells[b]!));
    }
  }
});
