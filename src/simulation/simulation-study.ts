/**
 * The simulation study behind `make simulate`: the synthetic pipeline over
 * many seeds, each estimator compared with the planted effect (truth.json).
 *
 * Per estimator, outcome and month: bias (mean of estimate - truth), RMSE,
 * and coverage (share of 95% CIs containing the truth). The truth is the
 * sample ATT of each seed's IPS group among its persons observed that month
 * (deaths, emigration and state-pension age censor), so coverage is of that
 * quantity. Each seed's world comes as two deliveries, the second correcting
 * the first, with every hazard of the synthetic world.
 * Subgroup estimates (`matched_att by <subgroup>`) pool the levels, each
 * compared with the sample ATT of the level's IPS persons. Every interval
 * is checked: the matched ATT's primary (cluster-robust) one as
 * `matched_att`, its conditional one (exact matching: se_conditional, which
 * targets the sample ATT given the strata) as `matched_att conditional`,
 * each DiD estimator's, and the cost bootstrap's percentile interval for
 * the effect the costs are expressed per (`cost bootstrap`, costs.effect).
 * Coverage is also pooled over outcomes and months per estimator (month
 * 'all'), the figure to hold against 95% with 50 seeds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoadedStudyConfig, loadStudyConfig } from '../config/study-config.js';
import { Database, quoteLiteral } from '../db/database.js';
import { NORMAL_QUANTILE_975 } from '../estimate/estimators.js';
import { runStudy } from '../run/run-study.js';
import { synthesizeDelivery } from '../synth/index.js';
import type { OutcomeAtt, Truth } from '../synth/truth.js';

export interface SimulationOptions {
  seeds: readonly number[];
  persons: number;
  months: readonly number[];
  outcomes: readonly string[];
  config: string;
  onSeed?: (seed: number, index: number) => void;
}

export interface SimulationDraw {
  seed: number;
  estimator: string;
  outcome: string;
  month: number;
  estimate: number;
  ci_low: number;
  ci_high: number;
  truth: number;
}

export interface SimulationSummary {
  estimator: string;
  /** 'all' (and month 'all'): pooled over the estimator's outcomes and months. */
  outcome: string;
  month: number | 'all';
  seeds: number;
  mean_truth: number;
  bias: number;
  rmse: number;
  coverage: number;
}

function planted(att: OutcomeAtt, draw: { outcome: string; month: number }): number {
  return att[draw.outcome as keyof OutcomeAtt][String(draw.month)]!;
}

async function drawsForSeed(seed: number, options: SimulationOptions, loaded: LoadedStudyConfig): Promise<SimulationDraw[]> {
  const work = mkdtempSync(join(tmpdir(), 'ipslink-simulation-'));
  try {
    // The world as two deliveries, the second correcting the first: every hazard the demo has.
    const synth = await synthesizeDelivery({
      outDir: join(work, 'landing', `synth-${seed}`),
      persons: options.persons,
      seed,
      deliveries: 2,
    });
    const truth = JSON.parse(readFileSync(join(synth.deliveries.at(-1)!.dir, 'truth.json'), 'utf8')) as Truth;
    const { runDir } = await runStudy({
      loaded,
      landing: join(work, 'landing'),
      output: join(work, 'out'),
      force: true,
    });
    const db = await Database.open(':memory:');
    try {
      const rows = await db.query<Omit<SimulationDraw, 'seed' | 'truth'>>(
        'simulation: effects',
        `select estimator, outcome, event_month as month, estimate, ci_low, ci_high
         from read_parquet(${quoteLiteral(join(runDir, 'export', 'effects.parquet'))})
         where list_contains($outcomes, outcome) and list_contains($months, event_month) and estimate is not null
         union all
         select estimator || ' conditional', outcome, event_month, estimate,
             estimate - $z_975 * se_conditional, estimate + $z_975 * se_conditional
         from read_parquet(${quoteLiteral(join(runDir, 'export', 'effects.parquet'))})
         where list_contains($outcomes, outcome) and list_contains($months, event_month) and se_conditional is not null
         order by estimator, outcome, month`,
        { outcomes: [...options.outcomes], months: [...options.months], z_975: NORMAL_QUANTILE_975 },
      );
      // Subgroup levels are pooled per subgroup, each against its own level's planted effect.
      const levels = await db.query<Omit<SimulationDraw, 'seed' | 'truth'> & { subgroup: string; level: string }>(
        'simulation: subgroup effects',
        `select 'matched_att by ' || subgroup as estimator, subgroup, level, outcome, event_month as month, estimate, ci_low, ci_high
         from read_parquet(${quoteLiteral(join(runDir, 'export', 'subgroup_effects.parquet'))})
         where estimator = 'matched_att' and list_contains($outcomes, outcome) and list_contains($months, event_month)
             and estimate is not null
         order by subgroup, level, outcome, event_month`,
        { outcomes: [...options.outcomes], months: [...options.months] },
      );
      // The cost bootstrap's interval for the same ATT (the effect outcome at the effect month).
      const { outcome, month } = loaded.config.costs.effect;
      const bootstrap = await db.query<Omit<SimulationDraw, 'seed' | 'truth'>>(
        'simulation: cost bootstrap',
        `select 'cost bootstrap' as estimator, $outcome as outcome, $month::integer as month, estimate, ci_low, ci_high
         from read_parquet(${quoteLiteral(join(runDir, 'export', 'costs.parquet'))})
         where measure = 'effect_difference' and estimate is not null`,
        { outcome, month },
      );
      return [
        ...rows.map((row) => ({ ...row, seed, truth: planted(truth.att, row) })),
        ...bootstrap.map((row) => ({ ...row, seed, truth: planted(truth.att, row) })),
        ...levels.map(({ subgroup, level, ...row }) => ({ ...row, seed, truth: planted(truth.att_by_subgroup[subgroup]![level]!, row) })),
      ];
    } finally {
      db.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function runSimulation(options: SimulationOptions): Promise<{ draws: SimulationDraw[]; summary: SimulationSummary[] }> {
  // Read once: every seed runs the same study, even if the file changes meanwhile.
  const loaded = loadStudyConfig(options.config);
  const draws: SimulationDraw[] = [];
  for (const [index, seed] of options.seeds.entries()) {
    options.onSeed?.(seed, index);
    draws.push(...(await drawsForSeed(seed, options, loaded)));
  }
  return { draws, summary: summariseDraws(draws) };
}

export function summariseDraws(draws: readonly SimulationDraw[]): SimulationSummary[] {
  const groups = new Map<string, SimulationDraw[]>();
  const add = (key: string, draw: SimulationDraw) => groups.set(key, [...(groups.get(key) ?? []), draw]);
  for (const draw of draws) {
    add(`${draw.estimator}\u0000${draw.outcome}\u0000${String(draw.month).padStart(3, '0')}`, draw);
    // pooled over outcomes and months: sorts after every month of the estimator
    add(`${draw.estimator}\u0001all`, draw);
  }
  return [...groups.keys()].sort().map((key) => {
    const group = groups.get(key)!;
    const pooled = key.endsWith('\u0001all');
    const errors = group.map((draw) => draw.estimate - draw.truth);
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    return {
      estimator: group[0]!.estimator,
      outcome: pooled ? 'all' : group[0]!.outcome,
      month: pooled ? 'all' : group[0]!.month,
      seeds: new Set(group.map((draw) => draw.seed)).size,
      mean_truth: mean(group.map((draw) => draw.truth)),
      bias: mean(errors),
      rmse: Math.sqrt(mean(errors.map((error) => error * error))),
      coverage: mean(group.map((draw) => (draw.truth >= draw.ci_low && draw.truth <= draw.ci_high ? 1 : 0))),
    };
  });
}

export function formatSimulationSummary(summary: readonly SimulationSummary[]): string {
  const width = Math.max('estimator'.length, ...summary.map((row) => row.estimator.length)) + 2;
  const header = `${'estimator'.padEnd(width)}${'outcome'.padEnd(14)}${'month'.padStart(5)}${'seeds'.padStart(7)}${'truth pp'.padStart(10)}${'bias pp'.padStart(9)}${'RMSE pp'.padStart(9)}${'coverage'.padStart(10)}`;
  const lines = summary.map(
    (row) =>
      `${row.estimator.padEnd(width)}${row.outcome.padEnd(14)}${String(row.month).padStart(5)}${String(row.seeds).padStart(7)}` +
      `${(100 * row.mean_truth).toFixed(2).padStart(10)}${(100 * row.bias).toFixed(2).padStart(9)}${(100 * row.rmse).toFixed(2).padStart(9)}` +
      `${(100 * row.coverage).toFixed(0).padStart(9)}%`,
  );
  return [header, ...lines].join('\n');
}
