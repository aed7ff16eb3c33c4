/**
 * The panel's monthly outcomes (DESIGN §3), each defined once: its kind,
 * unit, the estimators that apply to it and where it is reported. Every
 * other list of outcomes (the SQL steps that sum or screen them take them
 * as parameters, the codebook, the study tables, the run summary) is
 * derived from this table.
 */
import type { Estimator } from '../estimate/estimators.js';

export interface OutcomeDefinition {
  /** binary: a 0/1 indicator whose mean is a share; amount: hours or euros (money, guarded by the dominance rule). */
  kind: 'binary' | 'amount';
  unit: 'share' | 'hours' | 'EUR';
  estimators: readonly Estimator[];
  /** Estimated per subgroup level, shown in the study tables, the report and the run summary's effect lines. */
  primary: boolean;
  /** Printed by the run summary beside the planted truth of a synthetic world. */
  headline: boolean;
  /** The report's title for a primary outcome's figures. */
  title?: string;
}

const ALL_ESTIMATORS = ['matched_att', 'did_event_study', 'unadjusted'] as const satisfies readonly Estimator[];

/*
 * on_benefit / benefit_eur count the study's qualifying benefits only,
 * on_any_benefit / any_benefit_eur every benefit, WW and BIJSTAND included.
 */
const DEFINITIONS = {
  employed_any: {
    kind: 'binary',
    unit: 'share',
    estimators: ALL_ESTIMATORS,
    primary: true,
    headline: true,
    title: 'in paid competitive work (>= 1 hour a month)',
  },
  employed_48h: {
    kind: 'binary',
    unit: 'share',
    estimators: ALL_ESTIMATORS,
    primary: true,
    headline: true,
    title: 'in paid competitive work (>= 48 hours a month)',
  },
  hours: { kind: 'amount', unit: 'hours', estimators: ALL_ESTIMATORS, primary: false, headline: false },
  wage_eur: { kind: 'amount', unit: 'EUR', estimators: ALL_ESTIMATORS, primary: false, headline: false },
  on_benefit: { kind: 'binary', unit: 'share', estimators: ALL_ESTIMATORS, primary: false, headline: true },
  benefit_eur: { kind: 'amount', unit: 'EUR', estimators: ALL_ESTIMATORS, primary: false, headline: false },
  on_any_benefit: { kind: 'binary', unit: 'share', estimators: ALL_ESTIMATORS, primary: false, headline: false },
  any_benefit_eur: { kind: 'amount', unit: 'EUR', estimators: ALL_ESTIMATORS, primary: false, headline: false },
} as const satisfies Record<string, OutcomeDefinition>;

export type Outcome = keyof typeof DEFINITIONS;
export const OUTCOME_DEFINITIONS: Readonly<Record<Outcome, OutcomeDefinition>> = DEFINITIONS;

/** Every outcome, in the panel's column order. */
export const OUTCOMES = Object.keys(OUTCOME_DEFINITIONS) as Outcome[];

function outcomesWhere(test: (definition: OutcomeDefinition) => boolean): Outcome[] {
  return OUTCOMES.filter((outcome) => test(OUTCOME_DEFINITIONS[outcome]));
}

export const BINARY_OUTCOMES = outcomesWhere((definition) => definition.kind === 'binary');
export const AMOUNT_OUTCOMES = outcomesWhere((definition) => definition.kind === 'amount');
export const MONEY_OUTCOMES = outcomesWhere((definition) => definition.unit === 'EUR');
export const PRIMARY_OUTCOMES = outcomesWhere((definition) => definition.primary);
export const HEADLINE_OUTCOMES = outcomesWhere((definition) => definition.headline);
export const outcomesFor = (estimator: Estimator): Outcome[] => outcomesWhere((definition) => definition.estimators.includes(estimator));
/** Per subgroup level an estimator is run for the primary outcomes it applies to. */
export const subgroupOutcomesFor = (estimator: Estimator): Outcome[] =>
  outcomesWhere((definition) => definition.primary && definition.estimators.includes(estimator));
