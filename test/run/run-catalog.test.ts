/**
 * The warehouse file keeps what was delivered; a run's own tables live in
 * memory (src/run/run-study.ts, Database.attachRunCatalog). A warehouse an
 * earlier ipslink left with every stage's tables in it loses them at the
 * next run, unless its schema version is another one: ingest refuses it,
 * and it is left as it was.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { tablesKeptBetweenRuns } from '../../pipelines/study.js';
import { loadStudyConfig } from '../../src/config/study-config.js';
import { Database } from '../../src/db/database.js';
import { createWarehouseTables, WAREHOUSE_SCHEMA_VERSION } from '../../src/ingest/index.js';
import { runStudy } from '../../src/run/run-study.js';
import { makeTempDir } from '../support/delivery.js';
import { makeSmallWorld, type SmallWorld } from '../support/small-world.js';

let world: SmallWorld;

beforeAll(async () => {
  world = await makeSmallWorld({ persons: 1500 });
}, 120_000);

/** A warehouse as an earlier ipslink left it: the ingest tables at `version`, and a stage's table and view beside them. */
async function earlierWarehouse(version: number): Promise<string> {
  const output = join(makeTempDir('ipslink-run-catalog-'), 'out');
  mkdirSync(output, { mode: 0o700 });
  const db = await Database.open(join(output, 'warehouse.duckdb'));
  try {
    await createWarehouseTables(db);
    await db.run('test', 'update warehouse_meta set schema_version = $version', { version });
    await db.run('test', 'create table cohort as select 1 as person; create view shown as select * from cohort');
  } finally {
    db.close();
  }
  return output;
}

async function fileTables(output: string): Promise<string[]> {
  const db = await Database.open(join(output, 'warehouse.duckdb'));
  try {
    const rows = await db.query<{ name: string }>(
      'test',
      'select table_name as name from duckdb_tables() union all select view_name from duckdb_views() where not internal order by name',
    );
    return rows.map((row) => row.name);
  } finally {
    db.close();
  }
}

describe("a warehouse with an earlier version's stage tables", () => {
  test('of this schema version loses them at the next run, which publishes', async () => {
    const output = await earlierWarehouse(WAREHOUSE_SCHEMA_VERSION);
    expect(await fileTables(output)).toContain('cohort');
    const result = await runStudy({ loaded: loadStudyConfig(world.config), output, force: true });
    expect(result.status).toBe('published');
    expect(await fileTables(output)).toEqual([...tablesKeptBetweenRuns].sort());
  }, 120_000);

  test('of another schema version is refused and left as it was', async () => {
    const output = await earlierWarehouse(WAREHOUSE_SCHEMA_VERSION + 1);
    const before = await fileTables(output);
    await expect(runStudy({ loaded: loadStudyConfig(world.config), output, force: true })).rejects.toMatchObject({
      error: { code: 'warehouse_outdated', found: WAREHOUSE_SCHEMA_VERSION + 1 },
    });
    expect(await fileTables(output)).toEqual(before);
    expect(before).toEqual(expect.arrayContaining(['cohort', 'shown']));
  }, 60_000);
});
