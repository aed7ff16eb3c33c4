import { describe, expect, test } from 'vitest';
import { type PipelineError, PipelineFailure } from '../../src/errors.js';
import { buildDesignMatrix, type CovariateColumn } from '../../src/match/design-matrix.js';
import { checkFullRank, fitPropensityScore, inverseLogit } from '../../src/match/propensity-score.js';

const UNITS = 300;
const x = Float64Array.from({ length: UNITS }, (_, unit) => ((unit * 37) % 101) / 10 - 5);
const group = Array.from({ length: UNITS }, (_, unit) => ['a', 'b', 'c'][unit % 3]!);
// Deterministic treatment, more likely for larger x: a well-behaved logistic fit.
const treated = Uint8Array.from({ length: UNITS }, (_, unit) => (((unit * 7919) % 13) / 13 < 1 / (1 + Math.exp(-x[unit]! / 3)) ? 1 : 0));
const numeric = (name: string, values: Float64Array): CovariateColumn => ({ name, kind: 'numeric', values });

function errorOf(action: () => unknown): PipelineError {
  try {
    action();
  } catch (error) {
    if (error instanceof PipelineFailure) return error.error;
    throw error;
  }
  throw new Error('expected a PipelineFailure');
}

describe('fitPropensityScore', () => {
  test('a regular fit converges in a few iterations and its PS is the inverse logit of the linear predictor', () => {
    const fit = fitPropensityScore(buildDesignMatrix([numeric('x', x), { name: 'group', kind: 'categorical', values: group }]), treated);
    expect(fit.columnNames).toEqual(['(Intercept)', 'x', 'group=b', 'group=c']);
    expect(fit.iterations).toBeLessThanOrEqual(6);
    for (const [unit, probability] of fit.probabilities.entries()) expect(probability).toBe(inverseLogit(fit.linearPredictor[unit]!));
  });

  test('a level with only controls is quasi-complete separation, named by its dummy column', () => {
    const quasi = Uint8Array.from(treated, (value, unit) => (group[unit] === 'c' ? 0 : value));
    const design = buildDesignMatrix([numeric('x', x), { name: 'group', kind: 'categorical', values: group }]);
    expect(errorOf(() => fitPropensityScore(design, quasi))).toEqual({ code: 'ps_separation', column: 'group=c', units: 100 });
  });

  test('a covariate that splits the arms perfectly is complete separation, named', () => {
    const complete = Uint8Array.from(x, (value) => (value > 0 ? 1 : 0));
    const error = errorOf(() =>
      fitPropensityScore(buildDesignMatrix([numeric('x', x), { name: 'group', kind: 'categorical', values: group }]), complete),
    );
    expect(error).toMatchObject({ code: 'ps_separation', column: 'x' });
  });

  test('a column that is a combination of earlier columns is rank deficient, named with them', () => {
    const a = Float64Array.from({ length: UNITS }, (_, unit) => unit % 7);
    const b = Float64Array.from({ length: UNITS }, (_, unit) => (unit * 3) % 11);
    const c = Float64Array.from(a, (value, unit) => 2 * value - b[unit]!);
    const design = buildDesignMatrix([numeric('a', a), numeric('b', b), numeric('c', c)]);
    expect(errorOf(() => fitPropensityScore(design, treated))).toEqual({ code: 'ps_rank_deficient', column: 'c', combination: ['a', 'b'] });
  });

  test('a constant covariate is aliased with the intercept', () => {
    const design = buildDesignMatrix([numeric('x', x), numeric('year', new Float64Array(UNITS).fill(2019))]);
    expect(errorOf(() => fitPropensityScore(design, treated))).toEqual({
      code: 'ps_rank_deficient',
      column: 'year',
      combination: ['(Intercept)'],
    });
  });
});

describe('checkFullRank at its tolerance of 1e-7 relative to the column norm', () => {
  // z is orthogonal to the intercept and to a (a pattern with mean 0 and no linear trend in a).
  const a = Float64Array.from({ length: UNITS }, (_, unit) => unit % 2);
  const z = Float64Array.from({ length: UNITS }, (_, unit) => [1, -1, -1, 1][unit % 4]!);
  const nearlyA = (offset: number) => Float64Array.from(a, (value, unit) => value + offset * z[unit]!);

  test.each([
    [1e-6, 'kept'],
    [1e-8, 'aliased'],
  ])('a column %s away from a is %s', (offset, outcome) => {
    const design = buildDesignMatrix([numeric('a', a), numeric('nearly_a', nearlyA(offset))]);
    if (outcome === 'kept') expect(() => checkFullRank(design)).not.toThrow();
    else expect(errorOf(() => checkFullRank(design))).toEqual({ code: 'ps_rank_deficient', column: 'nearly_a', combination: ['a'] });
  });
});
