/**
 * The subgroup stage on a hand-built cohort: which persons each level's
 * sample holds, and levels that cannot be estimated are reported, not fatal.
 */
import { describe, expect, test } from 'vitest';
import { loadStudyConfig, type StudyConfig } from '../../src/config/study-config.js';
import type { Database } from '../../src/db/database.js';
import { subgroupsStage } from '../../src/subgroups/index.js';
import { withDatabase } from '../support/delivery.js';

// 300 persons, every third treated. Target group 'unknown': 3 treated, no
// controls. MUNICIPALITY: age separates the arms perfectly, and so does the
// benefit (WAJONG treated, WGA controls; WGA everywhere else). Sex is M for
// every SMI person and F for every CMD person.
const COHORT = `create table cohort as
select
    format('p{:03d}', i) as person_id,
    (i % 3 = 0)::integer as treated,
    case when i in (3, 6, 9) then 'unknown' when i >= 270 then 'CMD' else 'SMI' end as target_group,
    case when i between 100 and 159 then 'MUNICIPALITY' else 'UWV' end as funder,
    case when i % 3 <> 0 then 'P9' when i % 2 = 0 then 'P1' else 'P2' end as provider_id,
    case when i between 100 and 159 then (case when i % 3 = 0 then 60 else 25 end) else 20 + hash(i, 'age') % 40 end as age_at_index,
    case when i >= 270 then 'F' else 'M' end as sex,
    case when i between 100 and 159 and i % 3 = 0 then 'WAJONG' else 'WGA' end as benefit_type,
    (hash(i, 'duration') % 60)::integer as benefit_duration_months,
    (hash(i, 'work') % 13)::integer as months_worked_12m,
    (hash(i, 'work') % 13)::integer + (hash(i, 'work24') % 5)::integer as months_worked_24m,
    (hash(i, 'wage') % 9000)::double as wage_eur_12m,
    (hash(i, 'wage') % 9000)::double * 1.5 as wage_eur_24m,
    '2014' as index_year,
    'R' || (hash(i, 'region') % 3) as region
from range(300) as t(i)`;

async function runStage(db: Database, change: Partial<StudyConfig>) {
  const study = { ...loadStudyConfig('config/demo.yaml').config, ...change };
  await db.run('cohort', COHORT);
  await subgroupsStage.run({ db, study, runId: 'test', landing: '' });
  return {
    levels: await db.query<{
      subgroup: string;
      level: string;
      status: string;
      status_detail: string | null;
      persons_treated: number;
      persons_control: number;
      matched_treated: number | null;
    }>(
      'levels',
      `select subgroup, level, status, status_detail, persons_treated::double as persons_treated, persons_control::double as persons_control,
          matched_treated::double as matched_treated
       from subgroups order by all`,
    ),
    samples: await db.query<{ subgroup: string; level: string; treated: number; persons: number; off_level: number }>(
      'samples',
      `select subgroup, level, matches.treated, count(*)::double as persons,
          count(*) filter (where case subgroup when 'target_group' then cohort.target_group when 'funder' then cohort.funder
                                                else cohort.provider_id end <> level)::double as off_level
       from subgroup_matches as matches join cohort using (person_id)
       group by all order by all`,
    ),
  };
}

const NEAREST: StudyConfig['matching'] = {
  method: 'nearest',
  exact: [],
  ps_covariates: ['age_at_index', 'sex', 'benefit_duration_months'],
  ratio: 1,
  replace: false,
  order: 'largest',
  balance_max_abs_smd: 0.1,
};

describe('the subgroup stage', () => {
  test('without subgroups in the config it writes empty tables', async () => {
    await withDatabase(async (db) => {
      const { levels, samples } = await runStage(db, { subgroups: [] });
      expect([levels, samples]).toEqual([[], []]);
    });
  });

  test('a target-group level keeps both arms at the level; a provider keeps its participants and every control', async () => {
    await withDatabase(async (db) => {
      const { samples } = await runStage(db, { subgroups: ['target_group', 'provider'], matching: NEAREST });
      const smi = samples.filter((row) => row.subgroup === 'target_group' && row.level === 'SMI');
      expect(smi.map((row) => row.off_level)).toEqual([0, 0]);
      for (const provider of ['P1', 'P2']) {
        const rows = samples.filter((row) => row.subgroup === 'provider' && row.level === provider);
        expect(rows.find((row) => row.treated === 1)!.off_level).toBe(0);
        expect(rows.find((row) => row.treated === 0)!.persons).toBe(200);
      }
    });
  });

  test('levels that cannot be estimated say why in a status code, and the others are still estimated', async () => {
    await withDatabase(async (db) => {
      const { levels, samples } = await runStage(db, { subgroups: ['target_group', 'funder'], matching: NEAREST });
      const status = Object.fromEntries(levels.map((row) => [`${row.subgroup}=${row.level}`, [row.status, row.status_detail]]));
      expect(status['target_group=unknown']).toEqual(['no_controls', null]);
      expect(status['target_group=SMI']).toEqual(['estimated', 'constant at this level: sex']);
      expect(status['target_group=CMD']).toEqual(['estimated', 'constant at this level: sex']);
      expect(status['funder=MUNICIPALITY']).toEqual(['ps_separation', 'PS covariate age_at_index separates the arms at this level']);
      expect(status['funder=UWV']).toEqual(['estimated', null]);
      expect(new Set(samples.map((row) => `${row.subgroup}=${row.level}`))).toEqual(
        new Set(['target_group=CMD', 'target_group=SMI', 'funder=UWV']),
      );
      expect(levels.find((row) => row.level === 'unknown')).toMatchObject({
        persons_treated: 3,
        persons_control: 0,
        matched_treated: null,
      });
    });
  });

  test('a level where no treated person finds a control is no_treated_matched, without a sample', async () => {
    await withDatabase(async (db) => {
      // exact on the benefit: at MUNICIPALITY no cell holds both arms; at UWV it is constant, so dropped
      const { levels, samples } = await runStage(db, {
        subgroups: ['funder'],
        matching: { ...NEAREST, method: 'exact', exact: ['benefit_type'] },
      });
      const municipality = levels.find((row) => row.level === 'MUNICIPALITY');
      expect(municipality).toMatchObject({
        status: 'no_treated_matched',
        status_detail: null,
        persons_treated: 20,
        persons_control: 40,
        matched_treated: null,
      });
      expect(levels.find((row) => row.level === 'UWV')).toMatchObject({
        status: 'estimated',
        status_detail: 'constant at this level: benefit_type',
      });
      expect(samples.some((row) => row.level === 'MUNICIPALITY')).toBe(false);
    });
  });
});
