/**
 * Match stage: exact matching on coarsened covariates, then covariate
 * balance before and after, and the matched step of the attrition table.
 */
import { BALANCE_COVARIATES } from '../config/study-config.js';
import { fail } from '../errors.js';
import type { Stage } from '../stage.js';
import { balanceSql, type BalanceCovariate } from './balance-sql.js';
import { exactMatchingSql } from './exact-matching-sql.js';

const NUMERIC_COVARIATES = new Set([
  'age_at_index',
  'benefit_duration_months',
  'months_worked_12m',
  'months_worked_24m',
  'wage_eur_12m',
  'wage_eur_24m',
]);

export const balanceCovariates: BalanceCovariate[] = BALANCE_COVARIATES.map((name) => ({
  name,
  kind: NUMERIC_COVARIATES.has(name) ? 'numeric' : 'categorical',
}));

export const matchStage: Stage = {
  name: 'match',
  reads: ['cohort', 'attrition'],
  writes: ['matches', 'balance', 'attrition'],
  run: async ({ db, study }) => {
    const [arms] = await db.query<{ treated: number; control: number }>(
      'match: arm sizes',
      'select count(*) filter (where treated = 1)::double as treated, count(*) filter (where treated = 0)::double as control from cohort',
    );
    if (!arms?.treated) fail({ code: 'empty_arm', arm: study.arms.treated, step: 'the population rules' });
    if (!arms.control) fail({ code: 'empty_arm', arm: study.arms.control, step: 'the population rules' });
    await db.run('match: exact strata', exactMatchingSql(study.matching.exact));
    await db.run('match: balance', balanceSql(balanceCovariates));
    await db.runFile('match/01_count_matched.sql');
  },
};
