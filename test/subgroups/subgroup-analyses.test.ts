/**
 * Subgroup analyses end to end: a level matched on its own must give exactly
 * what a whole study restricted to that level gives, and a provider's
 * participants are compared with every control.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadStudyConfig, parseStudyConfig, type StudyConfig } from '../../src/config/study-config.js';
import { quoteLiteral } from '../../src/db/database.js';
import { runStudy } from '../../src/run/run-study.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir, withDatabase } from '../support/delivery.js';
import { TEST_THREADS } from '../support/threads.js';

interface Effect {
  outcome: string;
  estimator: string;
  event_month: number;
  estimate: number;
  se: number;
  n_treated: number;
  n_control: number;
}

let work: string;
let withSubgroups: string;
let smiOnly: string;

async function runWith(name: string, change: (config: StudyConfig) => StudyConfig): Promise<string> {
  const loaded = loadStudyConfig('config/demo.yaml');
  const config = parseStudyConfig('test', change(structuredClone(loaded.config)));
  const { runDir } = await runStudy({
    loaded: { ...loaded, config },
    landing: join(work, 'landing'),
    output: join(work, name),
    threads: TEST_THREADS,
    force: true,
  });
  return join(runDir, 'export');
}

function readExport<Row>(exportDir: string, sql: string): Promise<Row[]> {
  return withDatabase((db) =>
    db.query<Row>(
      'read',
      sql.replaceAll(/\$(\w+)/g, (_, file: string) => `read_parquet(${quoteLiteral(join(exportDir, `${file}.parquet`))})`),
    ),
  );
}

beforeAll(async () => {
  work = makeTempDir('ipslink-subgroups-');
  await synthesizeDelivery({ outDir: join(work, 'landing', 'synth-11'), persons: 6000, seed: 11, threads: TEST_THREADS });
  withSubgroups = await runWith('with-subgroups', (config) => ({ ...config, subgroups: ['target_group', 'provider'] }));
  smiOnly = await runWith('smi-only', (config) => ({
    ...config,
    subgroups: [],
    population: { ...config.population, target_groups: ['SMI'] },
  }));
}, 300_000);

describe('subgroup analyses', () => {
  test('the SMI level equals a study of SMI persons only: same matched persons, same estimates and SEs, for the DiD too', async () => {
    const columns = 'outcome, estimator, event_month, estimate, se, n_treated::double as n_treated, n_control::double as n_control';
    const level = await readExport<Effect>(
      withSubgroups,
      `select ${columns} from $subgroup_effects where subgroup = 'target_group' and level = 'SMI' order by outcome, estimator, event_month`,
    );
    const study = await readExport<Effect>(
      smiOnly,
      `select ${columns} from $effects
       where outcome in ('employed_any', 'employed_48h') and estimator in ('matched_att', 'did_event_study', 'did_pre_period_mean')
       order by outcome, estimator, event_month`,
    );
    // The matched ATT and both DiD estimators, for two outcomes over 61 event months.
    expect(level.length).toBe(3 * 2 * 61);
    expect(level.map(({ estimate, se, ...rest }) => rest)).toEqual(study.map(({ estimate, se, ...rest }) => rest));
    level.forEach((row, index) => {
      expect(row.estimate).toBeCloseTo(study[index]!.estimate, 9);
      expect(row.se).toBeCloseTo(study[index]!.se, 9);
    });
  });

  test('a provider level holds its own participants and is matched against the controls of every provider', async () => {
    const levels = await readExport<{ level: string; controls: string; persons_treated: number; persons_control: number; status: string }>(
      withSubgroups,
      "select level, controls, persons_treated::double as persons_treated, persons_control::double as persons_control, status from $subgroups where subgroup = 'provider' order by level",
    );
    const [cohort] = await readExport<{ n_treated: number; n_control: number }>(
      withSubgroups,
      'select n_treated::double as n_treated, n_control::double as n_control from $attrition where step_no = (select max(step_no) - 1 from $attrition)',
    );
    expect(levels.length).toBeGreaterThan(1);
    expect(
      levels.every((row) => row.controls === 'all controls' && row.persons_control === cohort!.n_control && row.status === 'estimated'),
    ).toBe(true);
    expect(levels.reduce((sum, row) => sum + row.persons_treated, 0)).toBe(cohort!.n_treated);
  });

  test('the study effects do not change when subgroups are added', async () => {
    const without = await runWith('without-subgroups', (config) => ({ ...config, subgroups: [] }));
    const sql = 'select outcome, estimator, event_month, estimate, se from $effects order by all';
    expect(await readExport(withSubgroups, sql)).toEqual(await readExport(without, sql));
  }, 120_000);
});
