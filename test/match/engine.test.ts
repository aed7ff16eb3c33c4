import { describe, expect, test } from 'vitest';
import type { CovariateColumn } from '../../src/match/design-matrix.js';
import { type MatchDesign, type MatchInput, matchTable } from '../../src/match/engine.js';

function tableOf(treated: number[], columns: CovariateColumn[]): MatchInput {
  return {
    treated: Uint8Array.from(treated),
    covariate: (name) => columns.find((column) => column.name === name)!,
  };
}

const EXACT: MatchDesign = {
  method: 'exact',
  exactCovariates: ['stratum'],
  psCovariates: [],
  balanceCovariates: ['sex'],
  ratio: 1,
  replace: false,
  order: 'largest',
};

// Cell A: treated 0, controls 2 and 3; cell B: treated 1 alone; cell C: control 4 alone.
const FIVE_UNITS = tableOf(
  [1, 1, 0, 0, 0],
  [
    { name: 'stratum', kind: 'categorical', values: ['A', 'B', 'A', 'A', 'C'] },
    { name: 'sex', kind: 'categorical', values: ['M', 'F', 'M', 'F', 'F'] },
    { name: 'age', kind: 'numeric', values: Float64Array.of(30, 40, 35, 45, 50) },
  ],
);

describe('matchTable', () => {
  test.each([
    [[0, 0, 0], 'treated'],
    [[1, 1, 1], 'control'],
  ])('treatment %j is an empty arm (%s), found before any model is fitted', (treated, arm) => {
    // one-level covariate: a PS model would be rank deficient
    const input = tableOf(treated, [{ name: 'sex', kind: 'categorical', values: ['F', 'F', 'F'] }]);
    const design: MatchDesign = { ...EXACT, method: 'nearest', exactCovariates: [], psCovariates: ['sex'] };
    expect(matchTable(input, design)).toEqual({ status: 'empty_arm', arm });
  });

  test('no exact cell holding both arms is no_treated_matched', () => {
    const input = tableOf([1, 0], [{ name: 'stratum', kind: 'categorical', values: ['A', 'B'] }]);
    expect(matchTable(input, { ...EXACT, balanceCovariates: [] })).toEqual({ status: 'no_treated_matched' });
  });

  test('gives per-unit weights and subclasses, and the persons per arm overall and matched', () => {
    const matched = matchTable(FIVE_UNITS, EXACT);
    if (matched.status !== 'matched') throw new Error(matched.status);
    expect([...matched.output.weights]).toEqual([1, 0, 1, 1, 0]);
    expect([...matched.output.subclass!]).toEqual([1, 0, 1, 1, 0]);
    expect(matched.output.ps).toBeNull();
    expect(matched.output.persons).toEqual({ treated: 2, control: 3 });
    expect(matched.output.matched).toEqual({ treated: 1, control: 2 });
  });

  test('each balance row counts the persons of each arm at its level, before and after matching', () => {
    const matched = matchTable(FIVE_UNITS, { ...EXACT, balanceCovariates: ['sex', 'age'] });
    if (matched.status !== 'matched') throw new Error(matched.status);
    const persons = matched.output.balance.map((row) => [
      row.level === null ? row.covariate : `${row.covariate}=${row.level}`,
      row.before.personsTreated,
      row.before.personsControl,
      row.after.personsTreated,
      row.after.personsControl,
    ]);
    expect(persons).toEqual([
      ['sex=F', 1, 2, 0, 1],
      ['sex=M', 1, 1, 1, 1],
      ['age', 2, 3, 1, 2],
    ]);
  });

  test('the worst |SMD| after matching is the first of equals, named covariate=level', () => {
    // after matching: treated all M, controls half M, so sex=F and sex=M are both 1 SD (sqrt(0.5 * 0.5)) off
    const matched = matchTable(FIVE_UNITS, EXACT);
    if (matched.status !== 'matched') throw new Error(matched.status);
    expect(matched.output.balance.map((row) => row.after.smd)).toEqual([-1, 1]);
    expect(matched.output.worstAfter).toEqual({ label: 'sex=F', absSmd: 1 });
  });

  test('without any SMD after matching there is no worst covariate', () => {
    const matched = matchTable(FIVE_UNITS, { ...EXACT, balanceCovariates: [] });
    expect(matched.status === 'matched' && matched.output.worstAfter).toBeNull();
  });
});
