import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { balanceFeatures, computeBalance } from '../../src/match/balance-statistics.js';

const balanceOf = (values: number[], treated: number[], weights = values.map(() => 1)) =>
  computeBalance(
    [{ covariate: 'x', kind: 'numeric', values: Float64Array.from(values) }],
    Uint8Array.from(treated),
    Float64Array.from(weights),
  )[0]!;

describe('computeBalance', () => {
  test('a 0/1 variable is standardised by sqrt(p(1-p)) of the treated, has no variance ratio, and eCDF max = |mean difference|', () => {
    const row = balanceOf([1, 1, 0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 0, 0, 0, 0]);
    expect(row.isBinary).toBe(true);
    expect(row.before.meanTreated).toBe(0.5);
    expect(row.before.meanControl).toBe(0.25);
    expect(row.before.smd).toBe(0.25 / 0.5);
    expect(row.before.varianceRatio).toBeNull();
    expect(row.before.ecdfMax).toBe(0.25);
  });

  test('a numeric variable is standardised by the treated sample SD (n - 1); variance ratio treated / control', () => {
    const row = balanceOf([1, 2, 3, 0, 2, 4], [1, 1, 1, 0, 0, 0]);
    expect(row.before.smd).toBe(0); // equal means
    expect(row.before.varianceRatio).toBe(1 / 4);
    expect(row.before.ecdfMax).toBeCloseTo(1 / 3, 15);
  });

  test('after matching the weights apply, units with weight 0 drop out, and the SMD keeps the before-matching denominator', () => {
    const row = balanceOf([1, 2, 3, 0, 2, 4, 100], [1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 0.5, 1, 1.5, 0]);
    expect(row.after.meanControl).toBe((0 * 0.5 + 2 + 4 * 1.5) / 3);
    expect(row.after.smd).toBeCloseTo((2 - 8 / 3) / 1, 15); // treated SD before = 1
    expect(row.before.meanControl).toBe(106 / 4);
  });

  test('a covariate constant among the treated falls back to the pooled SD', () => {
    const row = balanceOf([2, 2, 2, 0, 1, 2], [1, 1, 1, 0, 0, 0]);
    // pooled: (0 + (1 + 0 + 1)) / 6 / (1 - 1/6) = 0.4
    expect(row.before.smd).toBeCloseTo(1 / Math.sqrt(0.4), 14);
  });

  test('a mean difference below sqrt(machine epsilon) is reported unstandardised', () => {
    const row = balanceOf([1, 1 + 1e-9, 0.5, 1.5], [1, 1, 0, 0]);
    expect(row.before.smd).toBeCloseTo(5e-10, 15); // not 5e-10 / (treated SD 7e-10)
  });

  test('with fewer than two weighted units in both arms, SMD, variance ratio and eCDF max are null', () => {
    const row = balanceOf([1, 2, 3, 4], [1, 1, 0, 0], [1, 0, 1, 0]);
    expect(row.after).toMatchObject({ smd: null, varianceRatio: null, ecdfMax: null });
  });
});

test('balanceFeatures gives every level of a string covariate in sorted order, the reference level included', () => {
  const [feature] = balanceFeatures([{ name: 'sex', kind: 'categorical', values: ['M', 'F', 'X', 'F'] }]);
  expect(feature).toEqual({ covariate: 'sex', kind: 'levels', levels: ['F', 'M', 'X'], codes: Int32Array.from([1, 0, 2, 0]) });
});

test("a string covariate's levels give the bits their 0/1 dummies give as numeric covariates, persons counted at the level", () => {
  const units = fc.array(
    fc.record({
      level: fc.constantFrom('a', 'b', 'c', 'd'),
      treated: fc.constantFrom(0, 1),
      weight: fc.constantFrom(0, 1 / 3, 0.5, 1, 1.5, 2, 7),
    }),
    { minLength: 1, maxLength: 40 },
  );
  fc.assert(
    fc.property(units, (drawn) => {
      const treated = Uint8Array.from(drawn, (unit) => unit.treated);
      const weights = Float64Array.from(drawn, (unit) => unit.weight);
      const values = drawn.map((unit) => unit.level);
      const rows = computeBalance(balanceFeatures([{ name: 'g', kind: 'categorical', values }]), treated, weights);
      const levels = [...new Set(values)].sort();
      expect(rows.map((row) => row.level)).toEqual(levels);
      const persons = (level: string, arm: number, weighted: boolean) =>
        drawn.filter((unit) => unit.level === level && unit.treated === arm && (!weighted || unit.weight > 0)).length;
      for (const [index, level] of levels.entries()) {
        const dummy = Float64Array.from(values, (value) => (value === level ? 1 : 0));
        const [numeric] = computeBalance([{ covariate: 'g', kind: 'numeric', values: dummy }], treated, weights);
        expect(rows[index]).toEqual({
          ...numeric,
          level,
          before: { ...numeric!.before, personsTreated: persons(level, 1, false), personsControl: persons(level, 0, false) },
          after: { ...numeric!.after, personsTreated: persons(level, 1, true), personsControl: persons(level, 0, true) },
        });
      }
    }),
    { numRuns: 500, seed: 20261202 },
  );
});

test('without the spread, every row is the same bits but a non-binary variable has no variance ratio or eCDF max', () => {
  const units = fc.array(
    fc.record({
      age: fc.constantFrom(18, 25, 25.5, 40, 66),
      zeroOne: fc.constantFrom(0, 1),
      level: fc.constantFrom('a', 'b', 'c'),
      treated: fc.constantFrom(0, 1),
      weight: fc.constantFrom(0, 1 / 3, 1, 2),
    }),
    { minLength: 1, maxLength: 40 },
  );
  fc.assert(
    fc.property(units, (drawn) => {
      const features = balanceFeatures([
        { name: 'age', kind: 'numeric', values: Float64Array.from(drawn, (unit) => unit.age) },
        { name: 'zero_one', kind: 'numeric', values: Float64Array.from(drawn, (unit) => unit.zeroOne) },
        { name: 'g', kind: 'categorical', values: drawn.map((unit) => unit.level) },
      ]);
      const treated = Uint8Array.from(drawn, (unit) => unit.treated);
      const weights = Float64Array.from(drawn, (unit) => unit.weight);
      const full = computeBalance(features, treated, weights);
      const smdOnly = computeBalance(features, treated, weights, { spread: false });
      const withoutSpread = (comparison: (typeof full)[number]['before']) => ({ ...comparison, varianceRatio: null, ecdfMax: null });
      expect(smdOnly).toEqual(
        full.map((row) => (row.isBinary ? row : { ...row, before: withoutSpread(row.before), after: withoutSpread(row.after) })),
      );
    }),
    { numRuns: 300, seed: 20261203 },
  );
});
