/** `ipslink runs`, `status` and `publish --run` through the real command line, on a run history written here. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Database } from '../../src/db/database.js';
import { appendRunRecord, type RunRecord } from '../../src/run/history.js';
import { makeTempDir, writeDelivery } from '../support/delivery.js';
import { CLI_MAIN } from '../support/run-cli.js';

const FINGERPRINT = { deliveries: ['d1'], deliveries_sha256: 'a', config_sha256: 'b', code_version: '0.1.0', code_sha256: 'c' };
const PUBLISHED = '20261101T020000Z-aaaaaa';
const FAILED = '20261102T020000Z-bbbbbb';
const NO_OP = '20261103T020000Z-cccccc';

function record(run_id: string, fields: Partial<RunRecord>): RunRecord {
  return {
    run_id,
    status: 'published',
    started_at: `${run_id.slice(0, 4)}-${run_id.slice(4, 6)}-${run_id.slice(6, 8)}T02:00:00.000Z`,
    finished_at: `${run_id.slice(0, 4)}-${run_id.slice(4, 6)}-${run_id.slice(6, 8)}T02:00:30.000Z`,
    duration_ms: 30_000,
    fingerprint: FINGERPRINT,
    exit_code: 0,
    ...fields,
  };
}

/** A study with a published run (current), a failed_audit run, a no-op after it, and a delivery d2 not yet processed. */
function studyWithHistory(): { config: string; output: string } {
  const work = makeTempDir('ipslink-runs-');
  const output = join(work, 'out');
  const landing = join(work, 'landing');
  const persons = { name: 'persons.csv', extract: 'persons', csv: 'person_id,birth_year,sex,region\n' };
  writeDelivery(landing, 'd1', [persons]);
  writeDelivery(landing, 'd2', [persons]);
  for (const [id, status] of [
    [PUBLISHED, 'published'],
    [FAILED, 'failed_audit'],
  ] as const) {
    mkdirSync(join(output, 'runs', id), { recursive: true });
    writeFileSync(join(output, 'runs', id, 'manifest.json'), JSON.stringify({ run_id: id, status }));
  }
  symlinkSync(join('runs', PUBLISHED), join(output, 'current'));
  const counts = { deliveries: 1, rows_read: 1200, rows_accepted: 1188, rows_rejected: 12, cohort_treated: 300, cohort_control: 900 };
  appendRunRecord(output, record(PUBLISHED, { counts }));
  appendRunRecord(output, record(FAILED, { status: 'failed_audit', failed_gate: 'balance', exit_code: 8, counts }));
  appendRunRecord(output, record(NO_OP, { status: 'no_op', same_as: FAILED, exit_code: 8, duration_ms: 900 }));
  const config = join(work, 'study.yaml');
  writeFileSync(
    config,
    readFileSync('config/demo.yaml', 'utf8')
      .replace('landing: data/demo/landing', `landing: ${landing}`)
      .replace('output: out/demo', `output: ${output}`),
  );
  return { config, output };
}

function cli(args: string[]) {
  return spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8' });
}

describe('ipslink runs', () => {
  test('--json lists every run oldest first, with its audit result, whether it is kept and which is current', () => {
    const { config } = studyWithHistory();
    const result = cli(['runs', '--config', config, '--json']);
    expect(result.status).toBe(0);
    const runs = JSON.parse(result.stdout) as (RunRecord & { kept: boolean; current: boolean })[];
    expect(runs.map((run) => [run.run_id, run.status, run.kept, run.current, run.exit_code])).toEqual([
      [PUBLISHED, 'published', true, true, 0],
      [FAILED, 'failed_audit', true, false, 8],
      [NO_OP, 'no_op', false, false, 8],
    ]);
    expect(runs[0]!.counts?.rows_read).toBe(1200);
  });

  test('the table shows duration, row counts, the audit and no-op runs', () => {
    const { config } = studyWithHistory();
    const lines = cli(['runs', '--config', config]).stdout.split('\n');
    const row = (id: string) =>
      lines
        .find((line) => line.includes(id))!
        .split('│')
        .map((cell) => cell.trim());
    expect(row(PUBLISHED)).toEqual([
      '',
      PUBLISHED,
      'published',
      '2026-11-01 02:00:00',
      '30.0',
      '1,200',
      '12',
      '300/900',
      'passed',
      '0',
      'yes',
      '*',
      '',
    ]);
    expect(row(FAILED)).toContain('failed: balance');
    expect(row(NO_OP)).toContain(`same as ${FAILED}`);
  });
});

describe('ipslink status', () => {
  test('names the last run, current and the deliveries not yet processed', () => {
    const { config } = studyWithHistory();
    const status = JSON.parse(cli(['status', '--config', config, '--json']).stdout);
    expect(status).toMatchObject({ study: 'demo', current: PUBLISHED, pending_deliveries: ['d2'] });
    expect(status.last_run).toMatchObject({ run_id: NO_OP, status: 'no_op' });
    const text = cli(['status', '--config', config]).stdout;
    expect(text).toContain('deliveries not yet processed: d2');
    expect(text).toContain(`last run: ${NO_OP} no_op (same as ${FAILED}), exit 8, 0.9 s`);
  });
});

describe('ipslink publish --run', () => {
  test('points current at an earlier published run', () => {
    const { config, output } = studyWithHistory();
    mkdirSync(join(output, 'runs', '20261104T020000Z-dddddd'));
    writeFileSync(
      join(output, 'runs', '20261104T020000Z-dddddd', 'manifest.json'),
      JSON.stringify({ run_id: '20261104T020000Z-dddddd', status: 'published' }),
    );
    const result = cli(['publish', '--config', config, '--run', '20261104T020000Z-dddddd']);
    expect(result.status).toBe(0);
    expect(readlinkSync(join(output, 'current'))).toBe(join('runs', '20261104T020000Z-dddddd'));
  });

  test('refuses a failed_audit run, an unknown run and a malformed id, leaving current', () => {
    const { config, output } = studyWithHistory();
    const failed = cli(['publish', '--config', config, '--run', FAILED]);
    expect(failed.status).toBe(2);
    expect(failed.stderr.trim()).toBe(`ipslink: run ${FAILED} is failed_audit; only a run that passed its audit can be current`);
    expect(cli(['publish', '--config', config, '--run', '20261231T000000Z-ffffff']).stderr).toMatch(/not a published ipslink run/);
    expect(cli(['publish', '--config', config, '--run', '../../etc']).status).toBe(2);
    expect(readlinkSync(join(output, 'current'))).toBe(join('runs', PUBLISHED));
  });

  test('is refused with exit 75 while another process holds the warehouse', async () => {
    const { config, output } = studyWithHistory();
    const db = await Database.open(join(output, 'warehouse.duckdb'));
    try {
      const result = cli(['publish', '--config', config, '--run', PUBLISHED]);
      expect(result.status).toBe(75);
      expect(result.stderr).toMatch(/in use by another ipslink process/);
    } finally {
      db.close();
    }
  });
});
