/**
 * Logs an operator can ship: with --log-format json every stderr line of a
 * run is one JSON object with time, level, event, the run id and stage, and
 * counts and durations where they apply; no line holds a pseudonym.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, test } from 'vitest';
import { CLI_MAIN } from './support/run-cli.js';
import { makeSmallWorld, type SmallWorld } from './support/small-world.js';

let world: SmallWorld;
let lines: Record<string, unknown>[];
let stderr: string;

beforeAll(async () => {
  world = await makeSmallWorld();
  const result = spawnSync(process.execPath, [CLI_MAIN, 'run', '--config', world.config, '--log-format', 'json', '--debug'], {
    encoding: 'utf8',
  });
  expect(result.status, result.stderr.slice(-500)).toBe(0);
  stderr = result.stderr;
  lines = stderr
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}, 120_000);

describe('--log-format json', () => {
  test('every line is one object with time, level, event and message', () => {
    for (const line of lines) {
      expect(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time))).toBe(true);
      expect(['info', 'warn', 'debug', 'error']).toContain(line.level);
      expect(typeof line.event).toBe('string');
      expect(typeof line.message).toBe('string');
    }
  });

  test('stage lines carry the run id and stage, and stage_finished its counts, duration and CPU time', () => {
    const finished = lines.filter((line) => line.event === 'stage_finished');
    // stages that run at once (src/run/run-stages.ts) finish in either order
    expect(finished.map((line) => line.stage).sort()).toEqual(
      ['ingest', 'link', 'cohort', 'panel', 'match', 'subgroups', 'estimate', 'costs', 'monitor', 'disclosure'].sort(),
    );
    const runIds = new Set(lines.filter((line) => line.run_id).map((line) => line.run_id));
    expect(runIds.size).toBe(1);
    for (const line of finished) {
      expect(line.duration_ms).toBeTypeOf('number');
      expect(line.cpu_ms).toBeTypeOf('number');
      expect(line.peak_rss_mb).toBeGreaterThan(0);
      expect(Object.values(line.counts as Record<string, number>).every(Number.isInteger)).toBe(true);
    }
    // reading and checking two deliveries takes CPU, whatever the machine
    expect(finished.find((line) => line.stage === 'ingest')?.cpu_ms).toBeGreaterThan(0);
    const published = lines.find((line) => line.event === 'run_published');
    expect(published?.counts).toMatchObject({ deliveries: 2 });
  });

  test("each SQL file's line carries the stage that ran it, also while two stages run at once", () => {
    const files = lines.filter((line) => line.event === 'sql_file' && typeof line.stage === 'string');
    const own = (line: Record<string, unknown>) => {
      const directory = String(line.file).split('/')[1];
      const stage = String(line.stage);
      return directory === stage || (stage === 'cohort' && directory === 'reference') || (stage === 'disclosure' && directory === 'export');
    };
    expect([...new Set(files.map((line) => line.stage))]).toEqual(expect.arrayContaining(['panel', 'match', 'costs', 'monitor']));
    expect(files.filter((line) => !own(line)).map((line) => `${line.stage}: ${line.file}`)).toEqual([]);
  });

  test('no line holds a pseudonym of the delivery, even with --debug', () => {
    const persons = gunzipSync(readFileSync(join(world.deliveryDirs[0]!, 'persons.csv.gz')))
      .toString()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0])
      .filter((id): id is string => Boolean(id));
    expect(persons.length).toBeGreaterThan(1000);
    expect(lines.some((line) => line.level === 'debug')).toBe(true);
    expect(stderr).not.toMatch(/\bP[0-9a-f]{10}\b/);
    const leaked = persons.filter((id) => stderr.includes(id));
    expect(leaked).toEqual([]);
  });
});
