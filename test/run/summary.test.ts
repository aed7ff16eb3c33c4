import { describe, expect, test } from 'vitest';
import { formatRunSummary, type RunSummary } from '../../src/run/summary.js';

const SUMMARY: RunSummary = {
  runDir: 'out/runs/r1',
  cohort: { treated: 3092, control: 10390, matchedTreated: 2909, matchedControl: null },
  balanceGate: { limit: 0.1, passed: true, max_abs_smd_after: 0.076, worst: 'region=AMR02', failing: [] },
  effects: [
    { outcome: 'employed_48h', month: 36, matched: { estimate: 0.095, ci_low: 0.074, ci_high: 0.117 }, did: 0.095, unadjusted: 0.185, planted: 0.086 },
  ],
  arms: { treated: 'IPS', control: 'TVR' },
  subgroups: { levels: 0, estimated: 0 },
  disclosureWarnings: 0,
};

describe('the run summary', () => {
  test('shows cohort, balance and effects; a suppressed count says so', () => {
    const text = formatRunSummary(SUMMARY);
    expect(text).toContain('matched: IPS 2,909, TVR <suppressed>');
    expect(text).toContain('employed_48h  month 36:   9.5 [7.4, 11.7] |   9.5 |  18.5 | 8.6  (CI covers planted)');
    expect(text).not.toMatch(/subgroups|DISCLOSURE/);
  });

  test('names the subgroup levels estimated and the disclosure warnings to review', () => {
    const text = formatRunSummary({ ...SUMMARY, subgroups: { levels: 11, estimated: 10 }, disclosureWarnings: 1 });
    expect(text).toContain('subgroups: 11 levels, 10 estimated (table4_subgroups says why not)');
    expect(text).toContain('DISCLOSURE: 1 warning(s) in export/disclosure.json to review before release');
  });
});
