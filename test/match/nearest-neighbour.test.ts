import { describe, expect, test } from 'vitest';
import {
  caliperInLogitUnits,
  matchNearestNeighbour,
  type NearestNeighbourOptions,
  pairMembers,
} from '../../src/match/nearest-neighbour.js';

const ONE_TO_ONE: NearestNeighbourOptions = { ratio: 1, replace: false, order: 'largest' };

/** Units given as [treated, logit PS]; returns, per treated unit index, its matched control indices. */
function matchUnits(units: [0 | 1, number][], options: NearestNeighbourOptions) {
  const treated = Uint8Array.from(units, ([isTreated]) => isTreated);
  const logitPs = Float64Array.from(units, ([, distance]) => distance);
  const match = matchNearestNeighbour(treated, logitPs, options);
  const controlsOf = (unit: number): number[] => {
    const row = [...match.treatedUnits].indexOf(unit);
    return [...match.matchMatrix.subarray(row * options.ratio, (row + 1) * options.ratio)].filter((control) => control >= 0);
  };
  return { match, controlsOf };
}

describe('caliper', () => {
  test.each([
    [0.5, [1]],
    [0.5 - 1e-9, []],
  ])('a control exactly 0.5 logit away is matched at caliper %s: %j', (caliperLogit, expected) => {
    const { controlsOf } = matchUnits(
      [
        [1, 0],
        [0, 0.5],
        [0, -0.75],
      ],
      { ...ONE_TO_ONE, caliperLogit },
    );
    expect(controlsOf(0)).toEqual(expected);
  });

  test('a caliper of 0.2 SD is 0.2 times the sample SD (n - 1) of the logit PS over all units', () => {
    expect(caliperInLogitUnits(Float64Array.of(0, 2), 0.2)).toBeCloseTo(0.2 * Math.SQRT2, 15);
  });

  test('the nearer control beyond the caliper is not replaced by a farther one on the same side', () => {
    const { controlsOf } = matchUnits(
      [
        [1, 0],
        [0, 0.3],
        [0, 0.35],
      ],
      { ...ONE_TO_ONE, caliperLogit: 0.2 },
    );
    expect(controlsOf(0)).toEqual([]);
  });
});

describe('ties', () => {
  test('equal gaps below and above: the control below wins', () => {
    const { controlsOf } = matchUnits(
      [
        [0, 0.25],
        [1, 0],
        [0, -0.25],
      ],
      ONE_TO_ONE,
    );
    expect(controlsOf(1)).toEqual([2]);
  });

  test.each([
    [1e-11, 0],
    [1e-9, 2],
  ])('a gap larger by %s logit below is still a tie (1e-10 tolerance) or not: control %i', (extra, expected) => {
    const { controlsOf } = matchUnits(
      [
        [0, -0.25 - extra],
        [1, 0],
        [0, 0.25],
      ],
      ONE_TO_ONE,
    );
    expect(controlsOf(1)).toEqual([expected]);
  });

  test('controls at the same PS as the treated unit: the last one before it in canonical order', () => {
    const { controlsOf } = matchUnits(
      [
        [0, 1],
        [0, 1],
        [1, 1],
        [0, 1],
        [0, 1],
      ],
      ONE_TO_ONE,
    );
    expect(controlsOf(2)).toEqual([1]);
  });

  test('treated units with the same PS choose in canonical order', () => {
    const { controlsOf } = matchUnits(
      [
        [1, 1],
        [1, 1],
        [0, 1.1],
        [0, 5],
      ],
      ONE_TO_ONE,
    );
    expect(controlsOf(0)).toEqual([2]);
    expect(controlsOf(1)).toEqual([3]);
  });
});

describe('order and rounds', () => {
  // c1 1.02, c2 0.95, c3 0.5, c4 1.5; treated T1 1.0, T2 0.9.
  const units: [0 | 1, number][] = [
    [1, 1.0],
    [1, 0.9],
    [0, 1.02],
    [0, 0.95],
    [0, 0.5],
    [0, 1.5],
  ];

  test('1:2 matches in rounds: every treated unit gets a first control before any gets a second', () => {
    const { controlsOf } = matchUnits(units, { ratio: 2, replace: false, order: 'largest' });
    expect(controlsOf(0)).toEqual([2, 4]); // all-at-once would give T1 both 1.02 and 0.95
    expect(controlsOf(1)).toEqual([3, 5]);
  });

  test.each([
    ['largest', [2], [3]],
    ['smallest', [3], [2]],
    ['data', [2], [3]],
  ] as const)('order %s decides who gets the contested control', (order, first, second) => {
    const { controlsOf } = matchUnits(
      [
        [1, 1.0],
        [1, 0.97],
        [0, 0.99],
        [0, 0.9],
      ],
      { ratio: 1, replace: false, order },
    );
    expect(controlsOf(0)).toEqual(first);
    expect(controlsOf(1)).toEqual(second);
  });
});

describe('weights and subclasses', () => {
  test('without replacement: pairs numbered in canonical order of the treated; unmatched units weigh 0', () => {
    const { match } = matchUnits(
      [
        [0, 0],
        [1, 0.1],
        [0, 3],
        [1, 2.9],
        [0, 9],
      ],
      ONE_TO_ONE,
    );
    expect([...match.subclass!]).toEqual([1, 1, 2, 2, 0]);
    expect([...match.weights]).toEqual([1, 1, 1, 1, 0]);
  });

  test('with replacement: a control serving two treated units weighs more, control weights sum to the distinct controls', () => {
    // T0 at 0 takes -0.1 then 0.2; T1 at 0.3 takes 0.2 then 0.45.
    const { match, controlsOf } = matchUnits(
      [
        [1, 0],
        [1, 0.3],
        [0, -0.1],
        [0, 0.2],
        [0, 0.45],
      ],
      { ratio: 2, replace: true, order: 'largest' },
    );
    expect(controlsOf(0)).toEqual([2, 3]);
    expect(controlsOf(1)).toEqual([3, 4]);
    expect(match.subclass).toBeNull();
    expect([...match.weights]).toEqual([1, 1, 0.75, 1.5, 0.75]);
  });

  test("with replacement the pair members are get_matches' rows: a control once per pair it serves, weighing 1/k in it", () => {
    // T0 at 0 takes -0.1 then 0.2; T1 at 0.3 takes 0.2 then 0.45; T2 at 9 has no control within the caliper.
    const { match } = matchUnits(
      [
        [1, 0],
        [1, 0.3],
        [0, -0.1],
        [0, 0.2],
        [0, 0.45],
        [1, 9],
      ],
      { ratio: 2, replace: true, order: 'largest', caliperLogit: 1 },
    );
    const members = pairMembers(match.treatedUnits, match.matchMatrix, 2);
    expect([...members.subclass]).toEqual([1, 1, 1, 2, 2, 2]);
    expect([...members.unit]).toEqual([0, 2, 3, 1, 3, 4]);
    expect([...members.pairWeight]).toEqual([1, 0.5, 0.5, 1, 0.5, 0.5]);
  });

  test('a pair with fewer controls than the ratio spreads its weight over those it has; pairs number the matched treated in order', () => {
    // Without replacement: T0 (visited first, largest PS) takes 1.0, then T1 at 0 takes 0.1; round 2 finds nothing within 0.5.
    const { match } = matchUnits(
      [
        [1, 0],
        [1, 1],
        [0, 0.1],
        [0, 1.0],
        [0, 5],
      ],
      { ratio: 2, replace: false, order: 'largest', caliperLogit: 0.5 },
    );
    const members = pairMembers(match.treatedUnits, match.matchMatrix, 2);
    expect([...members.subclass]).toEqual([1, 1, 2, 2]);
    expect([...members.unit]).toEqual([0, 2, 1, 3]);
    expect([...members.pairWeight]).toEqual([1, 1, 1, 1]);
    expect([...match.subclass!]).toEqual([1, 2, 1, 2, 0]);
  });

  test('with replacement a treated unit never gets the same control twice', () => {
    const { controlsOf } = matchUnits(
      [
        [1, 0],
        [0, 0.1],
        [0, 0.2],
      ],
      { ratio: 3, replace: true, order: 'largest' },
    );
    expect(controlsOf(0)).toEqual([1, 2]);
  });

  test('a treated unit with fewer controls than the ratio spreads weight 1 over the controls it has', () => {
    const { match } = matchUnits(
      [
        [1, 0],
        [1, 5],
        [0, 0.1],
        [0, 0.2],
        [0, 5.1],
      ],
      { ratio: 2, replace: false, order: 'data', caliperLogit: 0.5 },
    );
    // raw control weights 1/2, 1/2, 1 (sum 2) scaled to the 3 distinct controls
    expect([...match.weights]).toEqual([1, 1, 0.75, 0.75, 1.5]);
  });
});

describe('exact cells', () => {
  test('a treated unit matches only within its cell, even when a closer control is in another cell', () => {
    const { controlsOf } = matchUnits(
      [
        [1, 0],
        [0, 0.01],
        [0, 2],
      ],
      { ...ONE_TO_ONE, exactCells: Int32Array.of(0, 1, 0) },
    );
    expect(controlsOf(0)).toEqual([2]);
  });

  test('a cell without controls leaves its treated units unmatched', () => {
    const { match } = matchUnits(
      [
        [1, 0],
        [0, 0.01],
      ],
      { ...ONE_TO_ONE, exactCells: Int32Array.of(0, 1) },
    );
    expect([...match.weights]).toEqual([0, 0]);
  });
});
