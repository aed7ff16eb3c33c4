import { describe, expect, test } from 'vitest';
import { PipelineFailure } from '../../src/errors.js';
import { buildDesignMatrix, categoryLevels } from '../../src/match/design-matrix.js';

describe('buildDesignMatrix', () => {
  test('intercept first, numeric as-is, string covariates dummy-coded without their first level, row-major', () => {
    const design = buildDesignMatrix([
      { name: 'age', kind: 'numeric', values: Float64Array.of(30, 41, 52) },
      { name: 'region', kind: 'categorical', values: ['midden', 'Noord', 'West'] },
    ]);
    expect(design.columnNames).toEqual(['(Intercept)', 'age', 'region=West', 'region=midden']);
    expect([...design.values]).toEqual([1, 30, 0, 1, 1, 41, 0, 0, 1, 52, 1, 0]);
    expect(design.rowCount).toBe(3);
    expect(design.columnCount).toBe(4);
  });

  test('levels sort in C-locale order: upper case before lower case', () => {
    expect(categoryLevels(['midden', 'West', 'Noord', 'West'])).toEqual(['Noord', 'West', 'midden']);
  });

  test('a string covariate with one level is rejected as rank deficient', () => {
    expect(() => buildDesignMatrix([{ name: 'sex', kind: 'categorical', values: ['F', 'F'] }])).toThrow(PipelineFailure);
  });
});
