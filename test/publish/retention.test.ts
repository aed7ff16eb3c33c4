/** Pruning to retention: the newest published and failed_audit runs stay, and so does current, however old. */
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { currentRunId, pruneRuns, readRunManifests } from '../../src/publish/retention.js';
import { makeTempDir } from '../support/delivery.js';

function writeRun(output: string, runId: string, status: 'published' | 'failed_audit'): void {
  mkdirSync(join(output, 'runs', runId, 'export'), { recursive: true });
  writeFileSync(join(output, 'runs', runId, 'manifest.json'), JSON.stringify({ run_id: runId, status }));
}

/** Runs 01..09: published except 03, 05 and 08; current points at 02. */
function outputWithRuns(): string {
  const output = makeTempDir('ipslink-retention-');
  for (let day = 1; day <= 9; day++)
    writeRun(output, `2026110${day}T020000Z-00000${day}`, [3, 5, 8].includes(day) ? 'failed_audit' : 'published');
  symlinkSync(join('runs', '20261102T020000Z-000002'), join(output, 'current'));
  // Not a run: no manifest. Left alone.
  mkdirSync(join(output, 'runs', 'notes'));
  return output;
}

describe('pruneRuns', () => {
  test('keeps the newest `keep` published runs, the newest `keep_failed` failed runs, and current', () => {
    const output = outputWithRuns();
    const pruned = pruneRuns(output, { keep: 2, keep_failed: 1 });
    expect(pruned).toEqual([
      '20261101T020000Z-000001',
      '20261103T020000Z-000003',
      '20261104T020000Z-000004',
      '20261105T020000Z-000005',
      '20261106T020000Z-000006',
    ]);
    expect(readdirSync(join(output, 'runs')).sort()).toEqual([
      '20261102T020000Z-000002',
      '20261107T020000Z-000007',
      '20261108T020000Z-000008',
      '20261109T020000Z-000009',
      'notes',
    ]);
    expect(currentRunId(output)).toBe('20261102T020000Z-000002');
    expect(readRunManifests(output).map((manifest) => manifest.status)).toEqual(['published', 'published', 'failed_audit', 'published']);
  });

  test('prunes nothing within retention, and a second pass prunes nothing more', () => {
    const output = outputWithRuns();
    expect(pruneRuns(output, { keep: 10, keep_failed: 5 })).toEqual([]);
    pruneRuns(output, { keep: 1, keep_failed: 0 });
    expect(pruneRuns(output, { keep: 1, keep_failed: 0 })).toEqual([]);
    expect(existsSync(join(output, 'runs', '20261102T020000Z-000002'))).toBe(true);
    expect(readRunManifests(output).map((manifest) => manifest.run_id)).toEqual(['20261102T020000Z-000002', '20261109T020000Z-000009']);
  });
});
