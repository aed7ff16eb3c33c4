import { describe, expect, test } from 'vitest';
import type { Outcome } from '../../src/config/outcomes.js';
import { type DeviationSample, DeviationSums } from '../../src/estimate/did-deviation-sums.js';
import { sumScoreProducts } from '../../src/estimate/did-score-products.js';
import type { EventStudyDesign } from '../../src/estimate/event-study-regression.js';
import { seededUniform } from '../support/seeded-random.js';

const OUTCOMES: Outcome[] = ['employed_any', 'hours'];
const SAMPLE: DeviationSample = {
  outcomes: OUTCOMES,
  patterns: [
    { treated: 0, months: [-1, 0, 1] },
    { treated: 0, months: [0, 1] },
    { treated: 1, months: [-1, 0] },
    { treated: 1, months: [-1, 0, 1] },
  ],
  armFirstPerson: [0, 0],
};
const DESIGN: EventStudyDesign = { referenceMonth: -1, slopeMonths: [0, 1] };

interface Person {
  pattern: number;
  weight: number;
  /** Per outcome, one value per month of the pattern. */
  values: number[][];
}

/** Persons of every pattern, in arm order, with seeded weights and values (0/1 for employed_any). */
function persons(seed: number): Person[] {
  const uniform = seededUniform(seed);
  return SAMPLE.patterns.flatMap(({ months }, pattern) =>
    Array.from({ length: 3 + pattern }, () => ({
      pattern,
      weight: 0.25 + 2 * uniform(),
      values: [months.map(() => (uniform() < 0.4 ? 1 : 0)), months.map(() => Math.round(uniform() * 160 * 100) / 100)],
    })),
  );
}

/** The stream's sums of the persons, as sumSampleDeviations adds them (blocks of two persons). */
function streamed(sample: readonly Person[]): DeviationSums {
  const sums = new DeviationSums(SAMPLE, 2);
  const next = [0, 0];
  for (const person of sample) {
    const { treated } = SAMPLE.patterns[person.pattern]!;
    for (const [outcome, values] of person.values.entries()) sums.values.set(values, outcome * values.length);
    sums.addPerson(person.pattern, next[treated]!++, person.weight);
  }
  sums.finish();
  return sums;
}

const mean = (values: readonly number[]) => values.reduce((total, value) => total + value, 0) / values.length;

describe('sumScoreProducts', () => {
  test.each([1, 2, 3])('gives, per arm and pair of months, the sum over persons of u_im u_ik by definition (seed %i)', (seed) => {
    const uniform = seededUniform(100 + seed);
    // g_0, g_1, b_0, b_1 per outcome (the reference month -1 has none)
    const coefficients = new Map(OUTCOMES.map((outcome) => [outcome, Float64Array.from({ length: 4 }, () => uniform() - 0.5)]));
    const sample = persons(seed);
    const weightSquares = SAMPLE.patterns.map((_, pattern) =>
      sample.filter((person) => person.pattern === pattern).reduce((total, person) => total + person.weight ** 2, 0),
    );
    const scores = sumScoreProducts(streamed(sample), weightSquares, DESIGN, coefficients);

    for (const [outcomeIndex, outcome] of OUTCOMES.entries()) {
      const [g0, g1, b0, b1] = coefficients.get(outcome)!;
      const fitted = (month: number, treated: number) => (month === -1 ? 0 : month === 0 ? g0! + treated * b0! : g1! + treated * b1!);
      // u_im = w_i (y_im - mean_i y) - w_i (f_m - mean over the pattern's months of f)
      const expected = new Map<string, number>();
      for (const person of sample) {
        const { treated, months } = SAMPLE.patterns[person.pattern]!;
        const values = person.values[outcomeIndex]!;
        const fits = months.map((month) => fitted(month, treated));
        const scores = months.map(
          (_, position) => person.weight * (values[position]! - mean(values)) - person.weight * (fits[position]! - mean(fits)),
        );
        months.forEach((month, position) => {
          months.forEach((other, otherPosition) => {
            const key = `${treated} ${month} ${other}`;
            expected.set(key, (expected.get(key) ?? 0) + scores[position]! * scores[otherPosition]!);
          });
        });
      }
      const rows = scores.get(outcome)!;
      // every pair an arm observes, both orders, in arm, month, other month order
      expect(rows.map((row) => `${row.treated} ${row.event_month} ${row.other_event_month}`)).toEqual(
        [...expected.keys()].sort((a, b) => {
          const [x, y] = [a.split(' ').map(Number), b.split(' ').map(Number)];
          return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
        }),
      );
      for (const row of rows) {
        expect(row.value).toBeCloseTo(expected.get(`${row.treated} ${row.event_month} ${row.other_event_month}`)!, 9);
      }
    }
  });

  test('a month without a coefficient is an error, not a silent zero', () => {
    const sums = streamed(persons(1));
    const coefficients = new Map(OUTCOMES.map((outcome) => [outcome, new Float64Array(2)]));
    expect(() => sumScoreProducts(sums, [1, 1, 1, 1], { referenceMonth: -1, slopeMonths: [0] }, coefficients)).toThrow(
      /no coefficient for event month 1/,
    );
  });
});
