/**
 * The estimators an effect can come from (effects.estimator) and the normal
 * quantile every Wald interval uses, named once; SQL takes the quantile as
 * the parameter $z_975.
 */
export const ESTIMATORS = ['matched_att', 'did_event_study', 'did_pre_period_mean', 'unadjusted'] as const;
export type Estimator = (typeof ESTIMATORS)[number];

/** The 0.975 quantile of the standard normal: a 95% CI is the estimate ± this many SEs. */
export const NORMAL_QUANTILE_975 = 1.959963984540054;
