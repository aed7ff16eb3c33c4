import { expect, test } from 'vitest';
import { assignExactCells, matchExactStrata } from '../../src/match/exact-strata.js';

test('cells are numbered by sorted values, numbers by value and strings in code-unit order', () => {
  const cells = assignExactCells(
    [
      { name: 'sex', kind: 'categorical', values: ['M', 'F', 'M', 'F'] },
      { name: 'band', kind: 'numeric', values: Float64Array.of(10, 9, 9, 9) },
    ],
    4,
  );
  expect([...cells]).toEqual([2, 0, 1, 0]);
});

test('exact strata: treated weigh 1, controls n_treated/n_controls scaled to sum to the matched controls; one-arm cells weigh 0', () => {
  // cell 0: 2 treated, 1 control; cell 1: 1 treated, 3 controls; cell 2: controls only; cell 3: treated only
  const treated = Uint8Array.of(1, 1, 0, 1, 0, 0, 0, 0, 1);
  const cells = Int32Array.of(0, 0, 0, 1, 1, 1, 1, 2, 3);
  const { weights, subclass } = matchExactStrata(treated, cells);
  // raw control weights 2 and 1/3 x 3 sum to 3 over 4 matched controls: scale 4/3
  expect([...weights].map((weight) => Number(weight.toFixed(12)))).toEqual([
    1, 1, 2.666666666667, 1, 0.444444444444, 0.444444444444, 0.444444444444, 0, 0,
  ]);
  expect([...subclass]).toEqual([1, 1, 1, 2, 2, 2, 2, 0, 0]);
});
