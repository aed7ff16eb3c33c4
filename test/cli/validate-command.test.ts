/**
 * `ipslink validate` over a landing directory of several deliveries, some
 * broken: each refused delivery is named on its own line and left out, the
 * others are checked and loaded, and the command exits 4. `run` still stops
 * at the first refusal, before loading anything.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { Database } from '../../src/db/database.js';
import { rewriteFile } from '../ingest/delivery-bytes.js';
import { makeTempDir, writeDelivery } from '../support/delivery.js';
import { runCli } from '../support/run-cli.js';

const CSV = ['person_id,birth_year,sex,region', 'P0000000001,1980,F,AMR01', 'P0000000002,1975,M,AMR02', ''].join('\n');

/** d1 and d4 sound; d2's file changed after delivery; d3's .gz is not gzip. */
function landingWithBrokenDeliveries(): string {
  const landing = makeTempDir('ipslink-validate-');
  writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
  const d2 = writeDelivery(landing, 'd2', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
  writeFileSync(join(d2, 'persons.csv'), CSV.replace('1980', '1981'));
  const d3 = writeDelivery(landing, 'd3', [{ name: 'persons.csv.gz', extract: 'persons', csv: CSV }]);
  rewriteFile(d3, 'persons.csv.gz', Buffer.from(CSV));
  writeDelivery(landing, 'd4', [{ name: 'persons.csv.gz', extract: 'persons', csv: CSV }]);
  return landing;
}

describe('ipslink validate with broken deliveries among sound ones', () => {
  test('names each refused delivery on its own line, loads the others and exits 4', async () => {
    const landing = landingWithBrokenDeliveries();
    const out = makeTempDir('ipslink-validate-out-');
    const exit = await runCli(['validate', '--config', 'config/demo.yaml', '--landing', landing, '--out', out, '--quiet']);
    expect(exit.code).toBe(4);
    const errors = exit.stderr.trim().split('\n');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/^ipslink: d2\/persons\.csv: sha256 is /);
    expect(errors[1]).toMatch(/^ipslink: d3\/persons\.csv\.gz: .*gzip/);
    expect(errors[2]).toBe(
      'ipslink: validate: 2 of 4 deliveries refused, each named on its own line above; the others were loaded and are reported',
    );
    const loaded = exit.stdout
      .split('\n')
      .filter((line) => /^d\d\//.test(line))
      .map((line) => line.split(/ +/)[0]);
    expect(loaded).toEqual(['d1/persons.csv', 'd4/persons.csv.gz']);
  });

  test('a single refusal is the one error line, with its own exit code', async () => {
    const landing = makeTempDir('ipslink-validate-');
    const dir = writeDelivery(landing, 'd1', [{ name: 'persons.csv.gz', extract: 'persons', csv: CSV }]);
    rewriteFile(dir, 'persons.csv.gz', gzipSync(CSV).subarray(0, 30));
    const exit = await runCli(['validate', '--config', 'config/demo.yaml', '--landing', landing, '--out', makeTempDir(), '--quiet']);
    expect(exit.code).toBe(4);
    expect(exit.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ipslink: d1\/persons\.csv\.gz: /)]);
  });

  test('run stops at the first refused delivery and loads none', async () => {
    const landing = landingWithBrokenDeliveries();
    const out = makeTempDir('ipslink-validate-out-');
    const exit = await runCli(['run', '--config', 'config/demo.yaml', '--landing', landing, '--out', out, '--quiet']);
    expect(exit.code).toBe(4);
    expect(exit.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ipslink: d2\/persons\.csv: sha256 is /)]);
    const db = await Database.open(join(out, 'warehouse.duckdb'));
    try {
      expect(await db.query('files', 'select * from ingested_files')).toEqual([]);
    } finally {
      db.close();
    }
  });
});
