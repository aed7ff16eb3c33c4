/**
 * `resources:` changes what a run may use of the machine, never a byte of
 * what it writes (issue 13). The same 6,000-person deliveries run twice
 * through the CLI: under a 1 GB cap with one thread, and with the
 * machine-sized defaults and two threads. Every file
 * under export/ and restricted/ must be the same bytes, and the capped
 * process must have stayed under its cap.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { quoteLiteral } from '../../src/db/database.js';
import type { RunManifest } from '../../src/publish/manifest.js';
import { withDatabase } from '../support/delivery.js';
import { type CliExit, runCli } from '../support/run-cli.js';
import { makeSmallWorld, replaceOnce, type SmallWorld } from '../support/small-world.js';
import { TEST_RESOURCES_YAML } from '../support/threads.js';

const CAPPED = 'resources:\n  memory_limit: 1GB\n  threads: 1\n';
const UNCAPPED = 'resources:\n  threads: 2\n';

/** The one file that names the run (the rejects ledger's run_id); everything else must be the same bytes. */
const NAMING_THE_RUN = ['restricted/rejects.parquet'];

let world: SmallWorld;
const runs: Record<'capped' | 'uncapped', { exit: CliExit; runDir: string; manifest: RunManifest }> = {} as never;

beforeAll(async () => {
  world = await makeSmallWorld({ persons: 6000, seed: 5 });
  // each run's own resources: instead of the small world's
  const text = replaceOnce(readFileSync(world.config, 'utf8'), TEST_RESOURCES_YAML, '');
  for (const [name, resources] of [
    ['capped', CAPPED],
    ['uncapped', UNCAPPED],
  ] as const) {
    const config = join(world.work, `${name}.yaml`);
    writeFileSync(config, `${text.replace(`output: ${world.output}`, `output: ${join(world.work, name)}`)}\n${resources}`);
    const exit = await runCli(['run', '--config', config, '--log-format', 'json']);
    const runDir = join(world.work, name, 'current');
    runs[name] = { exit, runDir, manifest: JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest };
  }
}, 300_000);

/** Every file of a run under export/ and restricted/, by path. */
function runFiles(runDir: string): string[] {
  return ['export', 'restricted'].flatMap((part) =>
    readdirSync(join(runDir, part), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(runDir.length + 1))
      .sort(),
  );
}

describe('a run under 1 GB and one thread, and one with the defaults and two threads', () => {
  test('both publish', () => {
    expect(runs.capped.exit.code, runs.capped.exit.stderr).toBe(0);
    expect(runs.uncapped.exit.code, runs.uncapped.exit.stderr).toBe(0);
  });

  test('record the resources they had', () => {
    expect(runs.capped.manifest.resources).toMatchObject({
      memory_limit_bytes: 1e9,
      memory_limit_from: 'config',
      duckdb_memory_limit: '418MiB',
      threads: 1,
    });
    expect(runs.uncapped.manifest.resources).toMatchObject({ memory_limit_from: 'machine', threads: 2 });
  });

  test('the capped process stays under its cap', () => {
    expect(runs.capped.manifest.resources.peak_rss_bytes).toBeGreaterThan(100e6);
    expect(runs.capped.manifest.resources.peak_rss_bytes).toBeLessThan(1e9);
  });

  test('write the same files, byte for byte, but for the run id', async () => {
    const files = runFiles(runs.capped.runDir);
    expect(files).toEqual(runFiles(runs.uncapped.runDir));
    expect(files).toEqual(expect.arrayContaining(['export/effects.parquet', 'export/costs.parquet', 'restricted/cohort.parquet']));
    const differing = files.filter(
      (file) => !readFileSync(join(runs.capped.runDir, file)).equals(readFileSync(join(runs.uncapped.runDir, file))),
    );
    expect(differing).toEqual(NAMING_THE_RUN);
    // the rejects ledger says which run loaded each row; the rows themselves are the same
    const ledger = (run: 'capped' | 'uncapped') => `read_parquet(${quoteLiteral(join(runs[run].runDir, 'restricted', 'rejects.parquet'))})`;
    const [unmatched] = await withDatabase((db) =>
      db.query<{ rows: number }>(
        'test: rejects',
        `select count(*)::integer as rows from (
           (select * exclude (run_id) from ${ledger('capped')} except all select * exclude (run_id) from ${ledger('uncapped')})
           union all
           (select * exclude (run_id) from ${ledger('uncapped')} except all select * exclude (run_id) from ${ledger('capped')}))`,
      ),
    );
    expect(unmatched!.rows).toBe(0);
  });
});
