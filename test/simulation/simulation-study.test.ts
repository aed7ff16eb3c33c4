/**
 * The quick variant of `make simulate`: two seeds on small deliveries. It
 * checks the machinery (every estimator, outcome and month summarised, with
 * finite figures), not the coverage, which needs many seeds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSimulation, summariseDraws } from '../../src/simulation/simulation-study.js';
import { makeTempDir } from '../support/delivery.js';
import { TEST_RESOURCES_YAML } from '../support/threads.js';

describe('the simulation study', () => {
  test('summarises bias, RMSE and coverage per estimator, outcome and month over the seeds', async () => {
    const config = join(makeTempDir('ipslink-simulation-'), 'study.yaml');
    writeFileSync(config, `${readFileSync('config/demo.yaml', 'utf8')}\n${TEST_RESOURCES_YAML}`);
    const { summary } = await runSimulation({
      seeds: [11, 12],
      persons: 4000,
      months: [12, 36],
      outcomes: ['employed_48h'],
      config,
    });
    const estimators = [...new Set(summary.map((row) => row.estimator))];
    expect(estimators).toContain('matched_att');
    expect(estimators).toContain('unadjusted');
    expect(estimators).toContain('matched_att by target_group');
    expect(estimators).toContain('cost bootstrap');
    for (const row of summary) {
      expect(row.seeds).toBe(2);
      expect([12, 36, 'all']).toContain(row.month);
      expect(Number.isFinite(row.bias) && Number.isFinite(row.rmse)).toBe(true);
      expect(row.coverage).toBeGreaterThanOrEqual(0);
    }
  }, 180_000);

  test('bias, RMSE and coverage follow their definitions', () => {
    const draw = { estimator: 'e', outcome: 'o', month: 1 };
    const [row] = summariseDraws([
      { ...draw, seed: 1, estimate: 0.1, ci_low: 0.05, ci_high: 0.15, truth: 0.08 },
      { ...draw, seed: 2, estimate: 0.02, ci_low: 0.01, ci_high: 0.03, truth: 0.08 },
    ]);
    expect(row!.bias).toBeCloseTo(-0.02, 12);
    expect(row!.rmse).toBeCloseTo(Math.sqrt((0.02 ** 2 + 0.06 ** 2) / 2), 12);
    expect(row!.coverage).toBe(0.5);
  });

  test('coverage is also pooled over outcomes and months per estimator', () => {
    const draw = { estimator: 'e', seed: 1, estimate: 0.1, ci_low: 0, ci_high: 0.2 };
    const summary = summariseDraws([
      { ...draw, outcome: 'a', month: 1, truth: 0.1 },
      { ...draw, outcome: 'b', month: 2, truth: 0.5 },
      { ...draw, outcome: 'b', month: 3, truth: 0.1 },
    ]);
    expect(summary.map((row) => [row.outcome, row.month, row.coverage])).toEqual([
      ['a', 1, 1],
      ['b', 2, 0],
      ['b', 3, 1],
      ['all', 'all', 2 / 3],
    ]);
  });
});
