/**
 * The population rules of sql/cohort/03-06 on small hand-made warehouses:
 * coverage edges, benefit episodes, same-day starts, later trajectories,
 * presence at the index date, state-pension age, and the attrition steps.
 * Every expected value is worked out by hand in the comments.
 */
import { describe, expect, test } from 'vitest';
import { cohortStage } from '../../src/cohort/index.js';
import type { StudyConfig } from '../../src/config/study-config.js';
import { withDatabase } from '../support/delivery.js';
import { demoStudy, loadWarehouse, type Row, type WarehouseRows } from '../support/warehouse.js';

const person = (person_id: string, birth_year = 1975, extra: Row = {}): Row => ({ person_id, birth_year, sex: 'F', ...extra });
const spell = (spell_id: string, person_id: string, benefit_type: string, start_date: string, end_date: string | null = null): Row => ({
  spell_id,
  person_id,
  benefit_type,
  start_date,
  end_date,
  monthly_amount_eur: 1500,
});
const trajectory = (trajectory_id: string, person_id: string, programme: string, start_date: string): Row => ({
  trajectory_id,
  person_id,
  programme,
  start_date,
  provider_id: 'PR1',
  funder: 'UWV',
});

/** A person on WGA since 2010 who starts `programme` on `index`. */
function onBenefit(id: string, index: string, programme = 'IPS', personExtra: Row = {}): WarehouseRows {
  return {
    persons: [person(id, 1975, personExtra)],
    benefit_spells: [spell(`S${id}`, id, 'WGA', '2010-01-01')],
    trajectories: [trajectory(`T${id}`, id, programme, index)],
  };
}

function merge(...parts: WarehouseRows[]): WarehouseRows {
  const merged: WarehouseRows = {};
  for (const part of parts) {
    for (const [key, rows] of Object.entries(part) as [keyof WarehouseRows, Row[]][]) {
      if (key === 'coverage') merged.coverage = part.coverage;
      else merged[key] = [...((merged[key] as Row[] | undefined) ?? []), ...rows];
    }
  }
  return merged;
}

async function candidates<T>(rows: WarehouseRows, columns: string, study: StudyConfig = demoStudy()): Promise<T[]> {
  return withDatabase(async (db) => {
    await loadWarehouse(db, rows);
    await cohortStage.run({ db, study, runId: 'r', landing: '' });
    return db.query<T>('candidates', `select person_id, ${columns} from cohort_candidates order by person_id`);
  });
}

describe('coverage of the look-back, pre-period and follow-up', () => {
  test('the 24 months before the index month and the 36 after must lie inside both extracts', async () => {
    const rows = merge(
      onBenefit('A', '2012-07-15'), // window 2010-07 .. 2015-07: inside
      onBenefit('B', '2012-06-30'), // window 2010-06 .. 2015-06: starts before the employment coverage
      onBenefit('C', '2016-06-01'), // window 2014-06 .. 2019-06: inside
      onBenefit('D', '2016-07-01'), // window 2014-07 .. 2019-07: ends after the benefit coverage
      {
        coverage: {
          employment_periods: { from: '2010-07', to: '2021-05' },
          benefit_spells: { from: '2008-01', to: '2019-06' },
        },
      },
    );
    expect(await candidates(rows, 'is_in_coverage')).toEqual([
      { person_id: 'A', is_in_coverage: true },
      { person_id: 'B', is_in_coverage: false },
      { person_id: 'C', is_in_coverage: true },
      { person_id: 'D', is_in_coverage: false },
    ]);
  });

  test('a month no file covers inside the window keeps the person out', async () => {
    const coverage = (benefits: { from: string; to: string }[]) =>
      merge(onBenefit('A', '2013-03-10'), {
        coverage: { employment_periods: { from: '2006-01', to: '2021-05' }, benefit_spells: benefits },
      });
    const covered = async (benefits: { from: string; to: string }[]) =>
      (await candidates<{ is_in_coverage: boolean }>(coverage(benefits), 'is_in_coverage'))[0]!.is_in_coverage;
    // two deliveries: adjacent ranges join; a missing 2012-04, inside A's window 2011-03 .. 2016-03, does not
    expect(
      await covered([
        { from: '2006-01', to: '2012-03' },
        { from: '2012-04', to: '2021-05' },
      ]),
    ).toBe(true);
    expect(
      await covered([
        { from: '2006-01', to: '2012-03' },
        { from: '2012-05', to: '2021-05' },
      ]),
    ).toBe(false);
  });
});

describe('benefit episodes', () => {
  test('a spell starting 31 days after the last one ended continues its episode; 32 days starts a new one', async () => {
    const rows: WarehouseRows = {
      persons: [person('E1'), person('E2')],
      benefit_spells: [
        // ZW for two years, then WGA: gap = 2012-02-01 - 2011-12-31 - 1 = 31 days
        spell('Z1', 'E1', 'ZW', '2010-01-01', '2011-12-31'),
        spell('W1', 'E1', 'WGA', '2012-02-01'),
        // the same with a gap of 32 days
        spell('Z2', 'E2', 'ZW', '2010-01-01', '2011-12-31'),
        spell('W2', 'E2', 'WGA', '2012-02-02'),
      ],
      trajectories: [trajectory('T1', 'E1', 'IPS', '2013-03-10'), trajectory('T2', 'E2', 'IPS', '2013-03-10')],
    };
    // E1: 2010-01-01 to 2013-03-10 is 38 months; E2: 2012-02-02 to 2013-03-10 is 13 months.
    expect(
      await candidates(
        rows,
        "benefit_type, strftime(benefit_episode_start, '%Y-%m-%d') as start, benefit_duration_months::int as benefit_duration_months",
      ),
    ).toEqual([
      { person_id: 'E1', benefit_type: 'WGA', start: '2010-01-01', benefit_duration_months: 38 },
      { person_id: 'E2', benefit_type: 'WGA', start: '2012-02-02', benefit_duration_months: 13 },
    ]);
  });

  test('overlapping spells join, and a WW spell between two qualifying spells does not bridge them', async () => {
    const rows: WarehouseRows = {
      persons: [person('O')],
      benefit_spells: [
        spell('A', 'O', 'ZW', '2008-01-01', '2009-06-30'),
        spell('W', 'O', 'WW', '2009-07-01', '2010-06-30'),
        spell('B', 'O', 'WGA', '2010-07-01', '2011-12-31'),
        spell('C', 'O', 'IVA', '2011-06-01'),
      ],
      trajectories: [trajectory('T', 'O', 'TVR', '2014-01-15')],
    };
    // B and C overlap: one episode from 2010-07-01; the year on WW is no qualifying spell, so A is another.
    // The spell ongoing at index is C (IVA); 2010-07-01 to 2014-01-15 is 42 months.
    expect(await candidates(rows, 'benefit_type, benefit_duration_months::int as benefit_duration_months')).toEqual([
      { person_id: 'O', benefit_type: 'IVA', benefit_duration_months: 42 },
    ]);
  });
});

describe('arms without hindsight', () => {
  const rows = merge(
    // S starts IPS and TVR on the same day
    onBenefit('S', '2013-05-01'),
    { trajectories: [trajectory('TS2', 'S', 'TVR', '2013-05-01')] },
    // L starts TVR, and IPS 16 months later
    onBenefit('L', '2013-05-01', 'TVR'),
    { trajectories: [trajectory('TL2', 'L', 'IPS', '2014-09-10')] },
  );

  test.each([
    ['exclude', null, false],
    ['treated', 'IPS', true],
  ] as const)('same-day starts of both programmes with same_day: %s', async (rule, programme, kept) => {
    const found = await candidates(rows, 'programme, is_single_programme_at_index', demoStudy({ arms: { same_day: rule } }));
    expect(found).toEqual([
      { person_id: 'L', programme: 'TVR', is_single_programme_at_index: true },
      { person_id: 'S', programme, is_single_programme_at_index: kept },
    ]);
  });

  test('a later trajectory of the treated programme neither changes the arm nor excludes, and is recorded', async () => {
    const found = await candidates<{ person_id: string; is_kept_for_programmes: boolean; crossover: string | null }>(
      rows,
      "is_kept_for_programmes, strftime(crossover_date, '%Y-%m-%d') as crossover",
      demoStudy({ arms: { both_programmes: 'exclude' } }),
    );
    expect(found).toEqual([
      { person_id: 'L', is_kept_for_programmes: true, crossover: '2014-09-10' },
      { person_id: 'S', is_kept_for_programmes: true, crossover: null },
    ]);
  });
});

describe('alive, resident and below state-pension age at the index date', () => {
  test.each([
    ['death on the index date', { death_date: '2013-01-15' }, false],
    ['death the day after', { death_date: '2013-01-16' }, true],
    ['emigration on the index date', { emigration_date: '2013-01-15' }, false],
  ])('%s', async (_case, extra, present) => {
    const [row] = await candidates<{ is_present_at_index: boolean }>(onBenefit('P', '2013-01-15', 'IPS', extra), 'is_present_at_index');
    expect(row!.is_present_at_index).toBe(present);
  });

  test.each([
    // born January 1948: 65 years and 1 month, reached in February 2013
    [1948, 1, '2013-01-31', '2013-02-01', true],
    [1948, 1, '2013-02-01', '2013-02-01', false],
    // birth month unknown: January assumed, the earliest month possible
    [1948, null, '2013-01-31', '2013-02-01', true],
    // born December 1948: 65 + 2 months, reached in February 2014
    [1948, 12, '2014-01-10', '2014-02-01', true],
    // born May 1950: 65 + 3 months, reached in August 2015
    [1950, 5, '2015-08-01', '2015-08-01', false],
  ])('born %i month %s, index %s: state-pension month %s, present %s', async (birthYear, birthMonth, index, month, present) => {
    const rows = onBenefit('P', index, 'IPS', { birth_month: birthMonth });
    rows.persons = [person('P', birthYear, { birth_month: birthMonth })];
    const [row] = await candidates<{ month: string; is_present_at_index: boolean }>(
      rows,
      "strftime(state_pension_month, '%Y-%m-%d') as month, is_present_at_index",
    );
    expect(row).toEqual({ person_id: 'P', month, is_present_at_index: present });
  });

  test('with state_pension_age: exclude, persons who reach it within the follow-up are left out', async () => {
    // born May 1950, index 2013-01-15: state-pension month 2015-08 = event month 31 <= 36
    const rows = onBenefit('P', '2013-01-15');
    rows.persons = [person('P', 1950, { birth_month: 5 })];
    const kept = async (rule: 'censor' | 'exclude') =>
      (
        await candidates<{ is_kept_for_state_pension: boolean }>(
          rows,
          'is_kept_for_state_pension',
          demoStudy({ follow_up: { state_pension_age: rule } }),
        )
      )[0]!.is_kept_for_state_pension;
    expect([await kept('censor'), await kept('exclude')]).toEqual([true, false]);
  });
});

describe('attrition', () => {
  test('each rule is a named step with counts per arm, and the cohort step is marked', async () => {
    const rows = merge(
      onBenefit('A', '2013-01-15'),
      onBenefit('B', '2013-01-15', 'TVR'),
      onBenefit('S', '2013-05-01'),
      { trajectories: [trajectory('TS2', 'S', 'TVR', '2013-05-01')] },
      onBenefit('D', '2013-01-15', 'TVR', { death_date: '2012-12-31' }),
    );
    const steps = await withDatabase(async (db) => {
      await loadWarehouse(db, rows);
      await cohortStage.run({ db, study: demoStudy(), runId: 'r', landing: '' });
      return db.query<{ step_key: string; n: number; n_treated: number | null; n_control: number | null; sample: string | null }>(
        'attrition',
        'select step_key, n::int as n, n_treated::int as n_treated, n_control::int as n_control, sample from attrition order by step_no',
      );
    });
    expect(steps.slice(4).map((step) => [step.step_key, step.n, step.n_treated, step.n_control, step.sample])).toEqual([
      ['with_trajectory', 4, 2, 2, null],
      ['study_programme', 4, 2, 2, null],
      ['same_day', 3, 1, 2, null],
      ['index_window', 3, 1, 2, null],
      ['coverage', 3, 1, 2, null],
      ['present_at_index', 2, 1, 1, null],
      ['state_pension_age', 2, 1, 1, null],
      ['age', 2, 1, 1, null],
      ['qualifying_benefit', 2, 1, 1, null],
      ['target_group', 2, 1, 1, null],
      ['both_programmes', 2, 1, 1, 'cohort'],
    ]);
  });
});
