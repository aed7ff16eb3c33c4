/**
 * Costs stage: intervention, benefit and healthcare cost differences, ICER
 * and return on investment with bootstrap CIs (see cost-effectiveness.ts).
 * SQL: sql/costs/01_sum_matched_set_costs.sql; writes table `costs`.
 */
import { quoteLiteral } from '../db/database.js';
import type { Stage } from '../stage.js';
import { bootstrapCostMeasures, groupMatchedSets, type MatchedSetSums } from './cost-effectiveness.js';

const UNITS: Record<string, string> = {
  effect_difference: 'share of persons in work',
  payer_roi: 'euros returned per extra euro of intervention, net',
  societal_roi: 'euros returned per extra euro of intervention, net',
};

export const costsStage: Stage = {
  name: 'costs',
  reads: ['cohort', 'matches', 'trajectories', 'panel_person_month', 'observed_person_months'],
  writes: ['matched_set_costs', 'costs'],
  run: async ({ db, study }) => {
    const { costs } = study;
    await db.runFile('costs/01_sum_matched_set_costs.sql', {
      treated_programme: study.arms.treated,
      default_cost_treated_eur: costs.default_trajectory_cost_eur.treated,
      default_cost_control_eur: costs.default_trajectory_cost_eur.control,
      healthcare_treated_eur_per_month: costs.healthcare_eur_per_person_month.treated,
      healthcare_control_eur_per_month: costs.healthcare_eur_per_person_month.control,
      months_after: study.follow_up.months_after,
      effect_outcome: costs.effect.outcome,
      effect_month: costs.effect.month,
    });
    const rows = await db.query<{
      matched_set: string;
      treated: number;
      persons: number;
      sum_w: number;
      sum_w_intervention_eur: number;
      sum_w_benefit_eur: number;
      sum_w_healthcare_eur: number;
      sum_w_effect: number;
      sum_w_effect_base: number;
    }>('costs: matched sets', 'select * exclude (persons), persons::double as persons from matched_set_costs');
    const sets = groupMatchedSets(
      rows.map(
        (row): MatchedSetSums => ({
          treated: row.treated === 1,
          matchedSet: row.matched_set,
          sumW: row.sum_w,
          sumWIntervention: row.sum_w_intervention_eur,
          sumWBenefit: row.sum_w_benefit_eur,
          sumWHealthcare: row.sum_w_healthcare_eur,
          sumWEffect: row.sum_w_effect,
          sumWEffectBase: row.sum_w_effect_base,
        }),
      ),
    );
    const persons = (treated: number) => rows.filter((row) => row.treated === treated).reduce((sum, row) => sum + row.persons, 0);
    const estimates = bootstrapCostMeasures(sets, costs.bootstrap.replicates, costs.bootstrap.seed);
    const round = (value: number) => (Number.isFinite(value) ? String(Math.round(value * 1e6) / 1e6) : 'null');
    const values = estimates.map(
      (estimate) =>
        `(${quoteLiteral(estimate.measure)}, ${round(estimate.estimate)}, ${round(estimate.ci_low)}, ${round(estimate.ci_high)}, ` +
        `${estimate.replicates}, ${quoteLiteral(UNITS[estimate.measure] ?? (estimate.measure.includes('icer') ? 'euros per extra person in work' : 'euros per treated person'))}, ` +
        `${estimate.note === null ? 'null' : quoteLiteral(estimate.note)})`,
    );
    await db.run(
      'costs: write',
      `create or replace table costs as
       select measure, estimate::double as estimate, ci_low::double as ci_low, ci_high::double as ci_high,
           replicates::integer as replicates, unit, $n_treated::bigint as n_treated, $n_control::bigint as n_control,
           $effect as effect, 'percentile bootstrap over matched sets, seed ' || $seed || ', 95%' as ci_method, note::varchar as note
       from (values ${values.join(', ')}) as t(measure, estimate, ci_low, ci_high, replicates, unit, note)`,
      {
        n_treated: persons(1),
        n_control: persons(0),
        effect: `${costs.effect.outcome} at month ${costs.effect.month}, among the persons observed then`,
        seed: costs.bootstrap.seed,
      },
    );
  },
};
