/**
 * The disclosure rules each export table declares, on hand-made rows: the
 * margins and differences specific to one table.
 */
import { describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { exportTable } from '../../src/disclosure/export-tables.js';
import { discloseExportTables } from '../../src/disclosure/index.js';
import { withDatabase } from '../support/delivery.js';

const study = loadStudyConfig('config/demo.yaml').config;

describe('monitoring', () => {
  test("one small provider in a quarter takes a second provider with it, since the quarter's total is published", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'monitoring',
        `create table monitoring_quarter_provider as select * from (values
            ('2019-Q1', 'all', 95, 30, 30 / 95), ('2019-Q1', 'P1', 5, 1, 0.2), ('2019-Q1', 'P2', 40, 14, 0.35), ('2019-Q1', 'P3', 50, 15, 0.3)
          ) as t(quarter, provider_id, persons_active, persons_at_work, share_at_work)`,
      );
      await discloseExportTables(db, study, [exportTable('monitoring')]);
      return db.query<{ provider_id: string; persons_active: number | null }>(
        'read',
        'select provider_id, persons_active from disclosed_monitoring order by provider_id',
      );
    });
    expect(rows.filter((row) => row.persons_active === null).map((row) => row.provider_id)).toEqual(['P1', 'P2']);
  });
});

describe('subgroups', () => {
  test("a level's matched persons are suppressed when 1 to 9 of its persons are unmatched", async () => {
    const rows = await withDatabase(async (db) => {
      await db.run(
        'subgroups',
        `create table subgroups as select * from (values
            ('target_group', 'CMD', 'same level', 300, 900, 295, 400, 0.05, 'sex=F', 'estimated', null),
            ('target_group', 'SMI', 'same level', 700, 800, 650, 600, 0.04, 'sex=F', 'estimated', null)
          ) as t(subgroup, level, controls, persons_treated, persons_control, matched_treated, matched_control,
                 max_abs_smd_after, worst_covariate, status, status_detail)`,
      );
      await discloseExportTables(db, study, [exportTable('subgroups')]);
      return db.query<{ level: string; matched_treated: number | null }>(
        'read',
        'select level, matched_treated from disclosed_subgroups order by level',
      );
    });
    expect(rows).toEqual([
      { level: 'CMD', matched_treated: null },
      { level: 'SMI', matched_treated: 650 },
    ]);
  });
});
