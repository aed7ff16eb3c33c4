import { describe, expect, test } from 'vitest';
import { formatRunSummary, type RunSummary } from '../../src/run/summary.js';

const SUMMARY: RunSummary = {
  runDir: 'out/runs/r1',
  superseded: { persons: 0, benefit_spells: 1203, employment_periods: 0, trajectories: 0 },
  coverage: [
    { extract: 'benefit_spells', from: '2008-01', to: '2021-06', source: 'delivery.json' },
    { extract: 'employment_periods', from: '2010-07', to: '2021-06', source: 'delivery.json' },
  ],
  outsideCoverage: 1516,
  followUp: {
    month: 36,
    arms: [
      { arm: 'IPS', persons: 2909, byStatus: { observed: 2790, death: 31, emigration: 40, state_pension_age: 48 } },
      { arm: 'TVR', persons: null, byStatus: { observed: 9100, death: null, crossed_over: 820 } },
    ],
  },
  configWarnings: [],
  cohort: { treated: 3092, control: 10390, matchedTreated: 2909, matchedControl: null },
  balanceGate: { limit: 0.1, passed: true, max_abs_smd_after: 0.076, worst: 'region=AMR02', failing: [] },
  effects: [
    {
      outcome: 'employed_48h',
      month: 36,
      matched: { estimate: 0.095, ci_low: 0.074, ci_high: 0.117 },
      did: 0.095,
      unadjusted: 0.185,
      planted: 0.086,
    },
  ],
  arms: { treated: 'IPS', control: 'TVR' },
  subgroups: { levels: 0, estimated: 0 },
  disclosureWarnings: 0,
};

describe('the run summary', () => {
  test('shows supersession, coverage, cohort, follow-up, balance and effects; a suppressed count says so', () => {
    const text = formatRunSummary(SUMMARY);
    expect(text).toContain('rows superseded by later deliveries: benefit_spells 1,203\n');
    expect(text).toContain(
      'coverage: benefit_spells 2008-01..2021-06 (delivery.json), employment_periods 2010-07..2021-06 (delivery.json); ' +
        '1,516 persons left out because their look-back, pre-period or follow-up lies outside it',
    );
    expect(text).toContain('  IPS: 2,790 of 2,909 observed; 31 died, 40 emigrated, 48 reached state-pension age\n');
    expect(text).toContain('  TVR: 9,100 of <suppressed> observed; <suppressed> died\n');
    expect(text).toContain('  TVR persons who started IPS by then: 820');
    expect(text).toContain('matched: IPS 2,909, TVR <suppressed>');
    expect(text).toContain('employed_48h  month 36:   9.5 [7.4, 11.7] |   9.5 |  18.5 | 8.6  (CI covers planted)');
    expect(text).not.toMatch(/subgroups|DISCLOSURE|WARNING/);
  });

  test('an outcome without DiD shows n/a there, not a suppression; config warnings lead', () => {
    const onBenefit = {
      outcome: 'on_benefit',
      month: 36,
      matched: { estimate: -0.04, ci_low: -0.06, ci_high: -0.02 },
      unadjusted: -0.08,
      planted: -0.041,
    };
    const text = formatRunSummary({ ...SUMMARY, effects: [onBenefit], configWarnings: ['population.target_groups filters both arms'] });
    expect(text).toContain('on_benefit    month 36:  -4.0 [-6.0, -2.0] |   n/a |  -8.0 | -4.1  (CI covers planted)');
    expect(text.split('\n')[1]).toBe('WARNING: population.target_groups filters both arms');
  });

  test('names the subgroup levels estimated and the disclosure warnings to review', () => {
    const text = formatRunSummary({ ...SUMMARY, subgroups: { levels: 11, estimated: 10 }, disclosureWarnings: 1 });
    expect(text).toContain('subgroups: 11 levels, 10 estimated (table4_subgroups says why not)');
    expect(text).toContain('DISCLOSURE: 1 warning(s) in export/disclosure.json to review before release');
  });
});
