// The event-study DiD (src/estimate/event-study-did.ts) against R: the panel,
// matches and fixtures in test/reference/did/ come from make-panel.R and
// make-fixtures.R there (plm within + vcovHC "sss"); R does not run here.
// Per subgroup level (the estimate stage's estimateEventStudies): a level's DiD
// is the study's DiD on a cohort of only that level's matched persons.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test, vi } from 'vitest';
import { type Outcome, subgroupOutcomesFor } from '../../src/config/outcomes.js';
import { Database, quoteLiteral } from '../../src/db/database.js';
import { panelStoredInPersonOrder } from '../../src/estimate/did-deviation-sums.js';
import { chiSquareUpperTail, fUpperTail } from '../../src/estimate/distributions.js';
import { type EventStudyDidOptions, estimateEventStudyDid, type PanelMonths } from '../../src/estimate/event-study-did.js';
import { estimateDifferences, estimateStage, weightObservedMonths } from '../../src/estimate/index.js';
import { runStage } from '../../src/stage.js';
import { withDatabase } from '../support/delivery.js';
import { createEmptyPairAndSubgroupMatches } from '../support/empty-match-tables.js';
import { keyPanelPersons } from '../support/panel-keys.js';
import { demoStudy } from '../support/warehouse.js';

const REFERENCE_DIR = fileURLToPath(new URL('../reference/did/', import.meta.url));

interface OutcomeFixture {
  event_month: number[];
  estimate: number[];
  se: number[];
  wald_chi2: number;
  wald_df: number;
  wald_p: number;
  wald_f: number;
  wald_f_df2: number;
  wald_f_p: number;
  pre_mean_event_month: number[];
  pre_mean_estimate: number[];
  pre_mean_se: number[];
}
interface Fixtures {
  distribution_checks: {
    chi2: { statistic: number; df: number; p: number }[];
    f: { statistic: number; df1: number; df2: number; p: number }[];
  };
  variants: Record<'balanced' | 'unbalanced', { observations: number; persons: number; outcomes: Record<string, OutcomeFixture> }>;
}
const FIXTURES = JSON.parse(readFileSync(`${REFERENCE_DIR}fixtures.json`, 'utf8')) as Fixtures;

interface EffectRow {
  outcome: string;
  estimator: string;
  event_month: number;
  estimate: number;
  se: number | null;
  ci_low: number | null;
  ci_high: number | null;
  n_treated: number;
  n_control: number;
  method: string;
  ci_method: string;
}
interface PretrendRow {
  outcome: string;
  statistic: number;
  df: number;
  p_value: number;
  test: string;
}

/**
 * The committed reference panel as panel_person_month + matches, in file
 * order or shuffled. 'unobserved': the unbalanced panel's dropped
 * person-months are rows with observed = false and null outcomes, as the
 * panel stage writes months after death or outside coverage. The panel's
 * any-benefit outcomes repeat its qualifying-benefit ones.
 */
async function loadReferencePanel(
  db: Database,
  variant: 'balanced' | 'unbalanced' | 'unobserved',
  order: 'file' | 'shuffled' = 'file',
): Promise<PanelMonths> {
  const csv = (name: string) => quoteLiteral(`${REFERENCE_DIR}${name}`);
  const shuffle = order === 'shuffled' ? 'order by hash(person_id, event_month, 20261121)' : '';
  const kept = variant === 'unbalanced' ? 'anti join dropped using (person_id, event_month)' : '';
  const observed = variant === 'unobserved' ? '(person_id, event_month) not in (select (person_id, event_month) from dropped)' : 'true';
  const outcome = (sql: string) => `case when ${observed} then ${sql} end`;
  await db.run(
    'load reference panel',
    `create table panel_person_month as
     with
     panel as (select * from read_csv(${csv('panel.csv')}, types = {'hours': 'varchar', 'wage_eur': 'varchar', 'benefit_eur': 'varchar'})),
     dropped as (select * from read_csv(${csv('dropped-person-months.csv')}))
     select person_id, event_month::integer as event_month,
            ${outcome('employed_any::boolean')} as employed_any, ${outcome('employed_48h::boolean')} as employed_48h,
            ${outcome('hours::decimal(18, 2)')} as hours, ${outcome('wage_eur::decimal(18, 2)')} as wage_eur,
            ${outcome('on_benefit::boolean')} as on_benefit, ${outcome('benefit_eur::decimal(18, 2)')} as benefit_eur,
            ${outcome('on_benefit::boolean')} as on_any_benefit, ${outcome('benefit_eur::decimal(18, 2)')} as any_benefit_eur,
            ${observed} as observed
     from panel ${kept} ${shuffle}`,
  );
  await keyPanelPersons(db);
  await db.run(
    'load reference matches',
    `create table matches as
     select person_id, treated::integer as treated, subclass::integer as subclass, weight::double as weight, ps::double as ps
     from read_csv(${csv('matches.csv')}, types = {'weight': 'varchar', 'ps': 'double'})
     ${order === 'shuffled' ? 'order by hash(person_id, 7)' : ''}`,
  );
  await createEmptySubgroupMatches(db);
  return weightObservedMonths(db);
}

/** The pair and subgroup tables the stages before write, empty; no subgroup level. */
async function createEmptySubgroupMatches(db: Database) {
  await createEmptyPairAndSubgroupMatches(db);
  await db.run('subgroups', 'create table subgroups (subgroup varchar, level varchar, status varchar)');
}

/** The outcomes of the R fixture's panel (make-fixtures.R). */
const FIXTURE_OUTCOMES: Outcome[] = ['employed_any', 'employed_48h', 'hours', 'wage_eur', 'on_benefit', 'benefit_eur'];

/** The by-hand persons as panel_person_month (every month observed) and matches without matched sets. */
async function loadHandPanel(db: Database, panelSql: string, matchRows: string[]) {
  await db.run('panel', panelSql);
  await keyPanelPersons(db);
  await db.run(
    'matches',
    `create table matches as select person_id, treated, null::integer as subclass, weight::double as weight
     from (values ${matchRows.join(', ')}) as t(person_id, treated, weight)`,
  );
  await createEmptySubgroupMatches(db);
  return weightObservedMonths(db);
}

async function readOutputs(db: Database) {
  const effects = await db.query<EffectRow>(
    'read did_effects',
    `select * replace (n_treated::integer as n_treated, n_control::integer as n_control) from did_effects
     where estimator = 'did_event_study' order by outcome, event_month`,
  );
  const preMean = await db.query<EffectRow>(
    'read did_effects',
    "select * from did_effects where estimator = 'did_pre_period_mean' order by outcome, event_month",
  );
  const pretrend = await db.query<PretrendRow>('read pretrend_tests', 'select * from pretrend_tests order by outcome, test');
  return { effects, preMean, pretrend };
}

async function estimateReference(
  variant: 'balanced' | 'unbalanced' | 'unobserved',
  options: { order?: 'file' | 'shuffled'; personsPerBlock?: EventStudyDidOptions['personsPerBlock'] } = {},
) {
  return withDatabase(async (db) => {
    await loadReferencePanel(db, variant, options.order);
    await estimateEventStudyDid(db, { outcomes: FIXTURE_OUTCOMES, referenceMonth: -1, personsPerBlock: options.personsPerBlock });
    return readOutputs(db);
  });
}

function expectRelativelyClose(actual: number | null | undefined, expected: number, what: string) {
  const tolerance = 1e-6 * Math.abs(expected) + 1e-12;
  if (typeof actual !== 'number' || !(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(`${what}: ${actual} differs from R's ${expected} by more than 1e-6 relative`);
  }
}

function expectAgreementWithR(outputs: Awaited<ReturnType<typeof readOutputs>>, variant: 'balanced' | 'unbalanced') {
  for (const [outcome, reference] of Object.entries(FIXTURES.variants[variant].outcomes)) {
    const rows = outputs.effects.filter((row) => row.outcome === outcome && row.event_month !== -1);
    expect(rows.map((row) => row.event_month)).toEqual(reference.event_month);
    rows.forEach((row, index) => {
      expectRelativelyClose(row.estimate, reference.estimate[index]!, `${variant} ${outcome} month ${row.event_month} estimate`);
      expectRelativelyClose(row.se, reference.se[index]!, `${variant} ${outcome} month ${row.event_month} se`);
    });
    const [chiSquare, f] = ['wald_chi2', 'wald_f'].map((test) =>
      outputs.pretrend.find((row) => row.outcome === outcome && row.test.startsWith(test)),
    );
    expectRelativelyClose(chiSquare?.statistic, reference.wald_chi2, `${variant} ${outcome} chi-square`);
    expectRelativelyClose(chiSquare?.p_value, reference.wald_p, `${variant} ${outcome} chi-square p`);
    expectRelativelyClose(f?.statistic, reference.wald_f, `${variant} ${outcome} F`);
    expectRelativelyClose(f?.p_value, reference.wald_f_p, `${variant} ${outcome} F p`);
    expect([chiSquare?.df, f?.df]).toEqual([reference.wald_df, reference.wald_df]);
    const preMean = outputs.preMean.filter((row) => row.outcome === outcome);
    expect(preMean.map((row) => row.event_month)).toEqual(reference.pre_mean_event_month);
    for (const [index, row] of preMean.entries()) {
      expectRelativelyClose(
        row.estimate,
        reference.pre_mean_estimate[index]!,
        `${variant} ${outcome} month ${row.event_month} pre-mean estimate`,
      );
      expectRelativelyClose(row.se, reference.pre_mean_se[index]!, `${variant} ${outcome} month ${row.event_month} pre-mean se`);
    }
    expect(f?.test).toContain(`(23, ${reference.wald_f_df2})`);
  }
}

describe('event-study DiD against R (plm within + vcovHC arellano "sss", test/reference/did)', () => {
  test('balanced panel: coefficients, CR1 standard errors and pre-trend Wald tests agree to 1e-6', async () => {
    expectAgreementWithR(await estimateReference('balanced'), 'balanced');
  });

  test('unbalanced panel (gaps, a missing reference month, attrition) agrees to 1e-6', async () => {
    expectAgreementWithR(await estimateReference('unbalanced'), 'unbalanced');
  });

  test('person-months not observed (null outcomes) are left out as if absent', async () => {
    expectAgreementWithR(await estimateReference('unobserved'), 'unbalanced');
  });

  test('blocks of 7 persons (many blocks per pattern, and patterns that end mid-block) give the same answer', async () => {
    expectAgreementWithR(await estimateReference('unbalanced', { personsPerBlock: 7 }), 'unbalanced');
  });

  test('the reference month is a row with estimate 0, null se and CI, and the persons observed', async () => {
    const { effects } = await estimateReference('unbalanced');
    const reference = effects.filter((row) => row.event_month === -1);
    expect(reference.map((row) => row.outcome)).toEqual([...FIXTURE_OUTCOMES].sort());
    for (const row of reference) {
      expect([row.estimate, row.se, row.ci_low, row.ci_high]).toEqual([0, null, null, null]);
      // 182 matched persons, 4 of them without month -1 (dropped-person-months.csv).
      expect(row.n_treated + row.n_control).toBe(FIXTURES.variants.unbalanced.persons - 4);
    }
    expect(effects).toHaveLength(FIXTURE_OUTCOMES.length * 61);
    expect(new Set(effects.map((row) => row.estimator))).toEqual(new Set(['did_event_study']));
    expect(effects[0]!.ci_method).toContain('G/(G-1) x (N-1)/(N-K), G = 182 persons');
  });

  test('the matched ATT of matched sets, summed a range of months at a time or all at once, is the same bits', async () => {
    const estimate = (rowsPerRange: number) =>
      withDatabase(async (db) => {
        const panelMonths = await loadReferencePanel(db, 'balanced');
        await estimateDifferences(db, demoStudy().matching, panelMonths, rowsPerRange);
        const read = (sql: string) => db.query<Record<string, unknown>>('read', sql);
        return {
          effects: await read('select * from effects order by all'),
          armMeans: await read('select * from arm_means order by all'),
          // outcome_sums keeps the last range's sums: its months
          lastSummed: (await read('select distinct event_month from outcome_sums order by 1')).map((row) => row.event_month),
          lastMonth: panelMonths.lastMonth,
        };
      });
    const whole = await estimate(2 ** 20);
    // a set's arms in a month are two rows of the sums: at most one a range puts every month in a range of its own
    const monthly = await estimate(1);
    expect(whole.lastSummed.length).toBeGreaterThan(1);
    expect(monthly.lastSummed).toEqual([monthly.lastMonth]);
    expect(whole.effects.length).toBeGreaterThan(0);
    expect(monthly.effects).toEqual(whole.effects);
    expect(monthly.armMeans).toEqual(whole.armMeans);
  });

  test('did_effects has the columns and types of subgroup_effects (03_difference_in_means.sql), and effects those after subgroup and level', async () => {
    const describe = (db: Database, table: string) =>
      db
        .query<{ column_name: string; column_type: string }>(
          `describe ${table}`,
          `select column_name, column_type from (describe ${table})`,
        )
        .then((columns) => columns.map((column) => `${column.column_name} ${column.column_type}`));
    const tables = await withDatabase(async (db) => {
      const panelMonths = await loadReferencePanel(db, 'balanced');
      await estimateDifferences(db, demoStudy().matching, panelMonths, 2 ** 20);
      await estimateEventStudyDid(db, { outcomes: ['employed_any'], referenceMonth: -1 });
      return {
        did: await describe(db, 'did_effects'),
        subgroups: await describe(db, 'subgroup_effects'),
        effects: await describe(db, 'effects'),
      };
    });
    expect(tables.did).toEqual(tables.subgroups);
    expect(tables.did).toEqual(['subgroup VARCHAR', 'level VARCHAR', ...tables.effects]);
    expect(tables.effects).toEqual([
      'outcome VARCHAR',
      'estimator VARCHAR',
      'event_month INTEGER',
      'estimate DOUBLE',
      'se DOUBLE',
      'ci_low DOUBLE',
      'ci_high DOUBLE',
      'n_treated BIGINT',
      'n_control BIGINT',
      'method VARCHAR',
      'ci_method VARCHAR',
      'se_conditional DOUBLE',
      'estimand VARCHAR',
    ]);
  });

  test("each sample's persons and patterns are temporary tables, gone after the last sample's fit", async () => {
    const left = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'balanced');
      await estimateEventStudyDid(db, { outcomes: ['employed_any'], referenceMonth: -1 });
      return db.query(
        'did tables left',
        "select database_name, table_name from duckdb_tables() where table_name in ('did_persons', 'did_patterns')",
      );
    });
    expect(left).toEqual([]);
  });

  test('shuffling the input rows changes no bit of the output (the panel read as stored, then sorted)', async () => {
    const storedInOrder = (order: 'file' | 'shuffled') =>
      withDatabase(async (db) => {
        await loadReferencePanel(db, 'unbalanced', order);
        return panelStoredInPersonOrder(db);
      });
    expect([await storedInOrder('file'), await storedInOrder('shuffled')]).toEqual([true, false]);
    const inFileOrder = await estimateReference('unbalanced', { personsPerBlock: 16 });
    const shuffled = await estimateReference('unbalanced', { order: 'shuffled', personsPerBlock: 16 });
    expect(shuffled).toEqual(inFileOrder);
  });
});

describe('event-study DiD by hand', () => {
  // Months -2..1; weights unequal; u1 is unmatched (weight 0) and must not count.
  const PERSONS = [
    { id: 't1', treated: 1, weight: 1, employed: [0, 0, 1, 1], hours: [0, 10, 60, 80.5] },
    { id: 't2', treated: 1, weight: 1, employed: [1, 0, 0, 1], hours: [50, 0, 0, 120] },
    { id: 'c1', treated: 0, weight: 0.5, employed: [0, 1, 1, 0], hours: [0, 30, 45.25, 0] },
    { id: 'c2', treated: 0, weight: 1.5, employed: [0, 0, 0, 1], hours: [0, 0, 0, 48] },
    { id: 'c3', treated: 0, weight: 2, employed: [1, 1, 0, 0], hours: [70, 90, 0, 0] },
    { id: 'u1', treated: 0, weight: 0, employed: [1, 1, 1, 1], hours: [100, 0, 160, 0] },
  ];
  const MONTHS = [-2, -1, 0, 1];

  type Person = (typeof PERSONS)[number];

  /** (weighted treated change from month -1) minus (weighted control change from month -1). */
  /** The weighted treated change from the reference (a month, or the mean of the pre-index months) minus the control change. */
  function differenceInDifferences(values: (person: Person) => number[], month: number, reference: number | 'pre_mean'): number {
    const baseline = (person: Person) =>
      reference === 'pre_mean'
        ? MONTHS.filter((m) => m < 0).reduce((sum, m) => sum + values(person)[MONTHS.indexOf(m)]!, 0) / MONTHS.filter((m) => m < 0).length
        : values(person)[MONTHS.indexOf(reference)]!;
    const change = (treated: number) => {
      const arm = PERSONS.filter((person) => person.treated === treated && person.weight > 0);
      const total = arm.reduce((sum, person) => sum + person.weight, 0);
      return arm.reduce((sum, person) => sum + person.weight * (values(person)[MONTHS.indexOf(month)]! - baseline(person)), 0) / total;
    };
    return change(1) - change(0);
  }

  test.each([-1, -2])(
    'on a balanced panel, with reference month %i, each effect is the weighted treated change from it minus the control change, and from the pre-index mean for did_pre_period_mean',
    async (referenceMonth) => {
      const effects = await withDatabase(async (db) => {
        const panelRows = PERSONS.flatMap((person) =>
          MONTHS.map((month, index) => `('${person.id}', ${month}, ${person.employed[index] === 1}, ${person.hours[index]})`),
        );
        await loadHandPanel(
          db,
          `create table panel_person_month as
         select person_id, event_month::integer as event_month, true as observed, employed_any, employed_any as employed_48h,
                hours::decimal(18, 2) as hours, 0::decimal(18, 2) as wage_eur, false as on_benefit, 0::decimal(18, 2) as benefit_eur
         from (values ${panelRows.join(', ')}) as t(person_id, event_month, employed_any, hours)`,
          PERSONS.map((person) => `('${person.id}', ${person.treated}, ${person.weight})`),
        );
        await estimateEventStudyDid(db, { outcomes: ['employed_any', 'hours'], referenceMonth });
        return db.query<{
          outcome: string;
          estimator: string;
          event_month: number;
          estimate: number;
          n_treated: number;
          n_control: number;
        }>(
          'read',
          'select outcome, estimator, event_month, estimate, n_treated::integer as n_treated, n_control::integer as n_control from did_effects order by all',
        );
      });
      for (const row of effects) {
        const values = row.outcome === 'hours' ? (person: Person) => person.hours : (person: Person) => person.employed;
        const reference = row.estimator === 'did_pre_period_mean' ? 'pre_mean' : referenceMonth;
        expect(row.estimate, `${row.outcome} ${row.estimator} ${row.event_month}`).toBeCloseTo(
          differenceInDifferences(values, row.event_month, reference),
          12,
        );
        expect([row.n_treated, row.n_control]).toEqual([2, 3]);
      }
      expect(effects.map((row) => `${row.estimator} ${row.event_month}`)).toEqual(
        ['employed_any', 'hours'].flatMap(() =>
          ['did_event_study', 'did_pre_period_mean'].flatMap((estimator) => MONTHS.map((month) => `${estimator} ${month}`)),
        ),
      );
    },
  );

  test('a month no treated person is observed in is named as not identified', async () => {
    const estimate = withDatabase(async (db) => {
      const panelRows = PERSONS.flatMap((person) =>
        MONTHS.filter((month) => person.treated === 0 || month !== 1).map((month) => `('${person.id}', ${month})`),
      );
      await loadHandPanel(
        db,
        `create table panel_person_month as
         select person_id, event_month::integer as event_month, true as observed, false as employed_any, false as employed_48h,
                0::decimal(18, 2) as hours, 0::decimal(18, 2) as wage_eur, false as on_benefit, 0::decimal(18, 2) as benefit_eur
         from (values ${panelRows.join(', ')}) as t(person_id, event_month)`,
        PERSONS.map((person) => `('${person.id}', ${person.treated}, ${person.weight})`),
      );
      await estimateEventStudyDid(db, { outcomes: ['employed_any'], referenceMonth: -1 });
    });
    await expect(estimate).rejects.toThrow('the treated x event month 1 effect is not identified');
  });
});

interface SubgroupLevel {
  subgroup: string;
  level: string;
  status: string;
  /** Its matched sample: person_id, treated, subclass, weight from matches. */
  matched?: string;
}

/** subgroups and subgroup_matches for the levels, as the subgroups stage writes them. */
async function addSubgroupLevels(db: Database, levels: readonly SubgroupLevel[]) {
  for (const { subgroup, level, status, matched } of levels) {
    await db.run('subgroups', `insert into subgroups values (${quoteLiteral(subgroup)}, ${quoteLiteral(level)}, ${quoteLiteral(status)})`);
    if (matched) {
      await db.run(
        'subgroup matches',
        `insert into subgroup_matches select ${quoteLiteral(subgroup)}, ${quoteLiteral(level)}, person_id, treated, subclass, weight from (${matched})`,
      );
    }
  }
}

/** The estimate stage as the pipeline runs it (its table contract checked), on the demo study's settings. */
async function runEstimateStage(db: Database) {
  await runStage(estimateStage, { db, study: demoStudy(), runId: 'test', landing: '' });
}

interface LevelEffectRow extends EffectRow {
  subgroup: string;
  level: string;
  estimand: string;
}

const DID_COLUMNS = `outcome, estimator, event_month, estimate, se, ci_low, ci_high,
    n_treated::integer as n_treated, n_control::integer as n_control, method, ci_method, estimand`;

const readLevelDid = (db: Database) =>
  db.query<LevelEffectRow>(
    'read subgroup_effects',
    `select subgroup, level, ${DID_COLUMNS} from subgroup_effects where estimator <> 'matched_att' order by subgroup, level, outcome, estimator, event_month`,
  );

const readStudyDid = (db: Database, outcomes: readonly string[]) =>
  db.query<EffectRow & { estimand: string }>(
    'read effects',
    `select ${DID_COLUMNS} from effects
     where estimator in ('did_event_study', 'did_pre_period_mean') and list_contains(${quoteLiteral(`[${outcomes.join(',')}]`)}::varchar[], outcome)
     order by outcome, estimator, event_month`,
  );

/**
 * Matched sets 1 and 2 of the reference matches as a level, its controls
 * weighted as its own matching might (unlike the study's); sets 3 and 4 as
 * another level.
 */
const SMI_MATCHES = `select person_id, treated, subclass,
    case when treated = 1 then weight when subclass = 1 then weight / 2 else weight * 1.5 end as weight
    from matches where subclass in (1, 2)`;
const TARGET_GROUP_LEVELS: SubgroupLevel[] = [
  { subgroup: 'target_group', level: 'SMI', status: 'estimated', matched: SMI_MATCHES },
  { subgroup: 'target_group', level: 'CMD', status: 'estimated', matched: 'select * from matches where subclass in (3, 4)' },
  { subgroup: 'funder', level: 'UWV', status: 'no_controls' },
];

describe('estimates per subgroup level (the event-study DiD and the matched ATT)', () => {
  const SUBGROUP_OUTCOMES = subgroupOutcomesFor('did_event_study');

  test("a level's DiD (both estimators) is the study's DiD on a cohort of only the level's matched persons, bit for bit", async () => {
    const levels = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await addSubgroupLevels(db, TARGET_GROUP_LEVELS);
      await runEstimateStage(db);
      return readLevelDid(db);
    });
    const restricted = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await db.run('restrict matches', `create or replace table matches as select *, null::double as ps from (${SMI_MATCHES})`);
      await runEstimateStage(db);
      return readStudyDid(db, SUBGROUP_OUTCOMES);
    });
    const smi = levels.filter((row) => row.level === 'SMI');
    expect(SUBGROUP_OUTCOMES).toEqual(['employed_any', 'employed_48h']);
    // 2 outcomes x 2 estimators x 61 months (the event study's reference month a row of its own).
    expect(smi).toHaveLength(2 * 2 * 61);
    expect(smi.map(({ subgroup, level, ci_method, ...row }) => row)).toEqual(restricted.map(({ ci_method, ...row }) => row));
    expect(smi.filter((row) => row.estimate !== null && row.se !== null).length).toBe(2 * 2 * 61 - 2);
    // A level's persons are disclosed in subgroups: its ci_method names no count, the study's does.
    expect(restricted[0]!.ci_method).toMatch(/G = \d+ persons, N = \d+ person-months/);
    expect(new Set(smi.map((row) => row.ci_method))).toEqual(
      new Set([
        restricted[0]!.ci_method.replace(/G = \d+ persons, N = \d+ person-months/, 'G the persons and N the person-months of the level'),
      ]),
    );
    expect([...new Set(levels.map((row) => `${row.subgroup}=${row.level}`))]).toEqual(['target_group=CMD', 'target_group=SMI']);
  });

  // A level's sums come from its profile groups' (sql/estimate/01_sum_level_profile_group_months.sql), the study's from the
  // panel: the two ways must give the same bits.
  test("a level's matched ATT is the study's on a cohort of only the level's matched persons, bit for bit", async () => {
    type AttRow = Omit<EffectRow, 'estimator' | 'ci_method'> & { se_conditional: number | null; estimand: string };
    const columns = `outcome, event_month, estimate, se, ci_low, ci_high, se_conditional,
        n_treated::integer as n_treated, n_control::integer as n_control, method, estimand`;
    const smi = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await addSubgroupLevels(db, TARGET_GROUP_LEVELS);
      await runEstimateStage(db);
      return db.query<AttRow>(
        'read subgroup_effects',
        `select ${columns} from subgroup_effects where estimator = 'matched_att' and level = 'SMI' order by outcome, event_month`,
      );
    });
    const restricted = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await db.run('restrict matches', `create or replace table matches as select *, null::double as ps from (${SMI_MATCHES})`);
      await runEstimateStage(db);
      return db.query<AttRow>(
        'read effects',
        `select ${columns} from effects
         where estimator = 'matched_att' and list_contains(${quoteLiteral(`[${SUBGROUP_OUTCOMES.join(',')}]`)}::varchar[], outcome)
         order by outcome, event_month`,
      );
    });
    // 2 outcomes x 61 months, most of them estimated
    expect(smi).toHaveLength(2 * 61);
    expect(smi.filter((row) => row.estimate !== null && row.se !== null).length).toBeGreaterThan(2 * 50);
    expect(smi).toEqual(restricted);
  });

  test('adding subgroup levels changes no bit of the study effects or pre-trend tests', async () => {
    const read = async (db: Database) => ({
      effects: await db.query('read effects', 'select * from effects order by outcome, estimator, event_month'),
      pretrend: await db.query('read pretrend_tests', 'select * from pretrend_tests order by outcome, test'),
    });
    const withLevels = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await addSubgroupLevels(db, TARGET_GROUP_LEVELS);
      await runEstimateStage(db);
      return read(db);
    });
    const without = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await runEstimateStage(db);
      return read(db);
    });
    expect(withLevels.pretrend).toHaveLength(8 * 2);
    expect(withLevels).toEqual(without);
  });

  test('a level nobody is observed in at the reference month gets its rows with null estimates and why; one without persons in the panel gets none; the run goes on', async () => {
    const rows = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await addSubgroupLevels(db, [
        // p042 (treated, set 1) is not observed in month -1; with one control of its set, the level has no month -1.
        {
          subgroup: 'provider',
          level: 'P1',
          status: 'estimated',
          matched:
            "select * from matches where person_id in ('p042', (select min(person_id) from matches where treated = 0 and subclass = 1))",
        },
        // Its one control has weight 0: no month has both arms.
        {
          subgroup: 'provider',
          level: 'P2',
          status: 'estimated',
          matched: `select person_id, treated, subclass, case when treated = 1 then weight else 0 end as weight
                    from matches where person_id in ('p001', (select min(person_id) from matches where treated = 0 and subclass = 2))`,
        },
        ...TARGET_GROUP_LEVELS,
      ]);
      await runEstimateStage(db);
      return readLevelDid(db);
    });
    const p1 = rows.filter((row) => row.level === 'P1');
    expect(p1.length).toBeGreaterThan(0);
    expect(p1.some((row) => row.event_month === -1)).toBe(false);
    for (const row of p1) {
      expect([row.estimate, row.se, row.ci_low, row.ci_high, row.ci_method]).toEqual([null, null, null, null, null]);
      expect([row.n_treated, row.n_control]).toEqual([1, 1]);
      expect(row.method).toContain(
        'not identified for this subgroup level, no estimate: no matched person is observed in the reference month -1',
      );
    }
    expect(new Set(p1.map((row) => `${row.outcome} ${row.estimator}`))).toEqual(
      new Set(SUBGROUP_OUTCOMES.flatMap((outcome) => [`${outcome} did_event_study`, `${outcome} did_pre_period_mean`])),
    );
    expect(rows.filter((row) => row.level === 'P2')).toEqual([]);
    expect(rows.filter((row) => row.level === 'SMI' && row.se !== null)).toHaveLength(2 * 2 * 61 - 2);
  });
});

describe('the estimate stage', () => {
  test("drops the samples' sums at its end (no later stage reads them) and keeps the means and effects they gave", async () => {
    const tables = await withDatabase(async (db) => {
      await loadReferencePanel(db, 'unbalanced');
      await runEstimateStage(db);
      return db.query<{ name: string }>(
        'tables',
        "select table_name as name from duckdb_tables() where table_name in ('outcome_sums', 'arm_means', 'effects') order by name",
      );
    });
    expect(tables.map((table) => table.name)).toEqual(['arm_means', 'effects']);
  });

  test("the differences' failure is the stage's, though the DiD's fits run on while they are summed, and no sample's DiD rows are appended", async () => {
    const runFile = Database.prototype.runFile;
    // the differences (01-03) run on a sibling connection; 03 fails there, after the DiD's stream has started them
    const spy = vi.spyOn(Database.prototype, 'runFile').mockImplementation(async function (this: Database, file, params) {
      if (file === 'estimate/03_difference_in_means.sql') throw new Error('the differences failed');
      return runFile.call(this, file, params);
    });
    try {
      const left = await withDatabase(async (db) => {
        await loadReferencePanel(db, 'unbalanced');
        await expect(runEstimateStage(db)).rejects.toThrow('the differences failed');
        return db.query<{ name: string }>(
          'tables',
          "select table_name as name from duckdb_tables() where table_name in ('effects', 'did_sample_effects')",
        );
      });
      const files = spy.mock.calls.map(([file]) => file);
      // every sample's fit ran to its rows (13), the append (14) did not
      expect(files).toContain('estimate/13_keep_did_effects.sql');
      expect(files).not.toContain('estimate/14_append_did_effects.sql');
      expect(left.map((table) => table.name)).toEqual(['did_sample_effects']);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('p-values of the pre-trend test', () => {
  test.each(FIXTURES.distribution_checks.chi2)("chi-square $statistic on $df df has R's upper tail $p", ({ statistic, df, p }) => {
    expectRelativelyClose(chiSquareUpperTail(statistic, df), p, 'pchisq');
  });

  test.each(FIXTURES.distribution_checks.f)("F $statistic on ($df1, $df2) df has R's upper tail $p", ({ statistic, df1, df2, p }) => {
    expectRelativelyClose(fUpperTail(statistic, df1, df2), p, 'pf');
  });
});
