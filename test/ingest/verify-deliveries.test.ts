/**
 * The deliveries of a landing directory are verified in one set of lanes
 * (src/ingest/index.ts, verifyDeliveries): their files side by side, their
 * refusals still taken in delivery order, and in `run` a later delivery's
 * files left unread once an earlier one is refused. Two lanes here, as on
 * the machine class, so which files start is known.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import type { PipelineFailure } from '../../src/errors.js';
import { ingestDeliveries } from '../../src/ingest/index.js';
import { scanCsvFile } from '../../src/ingest/scan-file.js';
import { makeTempDir, type TestFile, withDatabase, writeDelivery } from '../support/delivery.js';

vi.mock('node:os', async (importOriginal) => ({ ...(await importOriginal<typeof import('node:os')>()), availableParallelism: () => 2 }));
vi.mock('../../src/ingest/scan-file.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/ingest/scan-file.js')>();
  return { ...original, scanCsvFile: vi.fn(original.scanCsvFile) };
});

const CSV = ['person_id,birth_year,sex,region', 'P0000000001,1980,F,AMR01', 'P0000000002,1975,M,AMR02', ''].join('\n');

/** Ten incremental persons files: more than the lanes. */
const tenFiles: TestFile[] = Array.from({ length: 10 }, (_, index) => ({
  name: `persons_${index}.csv`,
  extract: 'persons',
  mode: 'incremental',
  csv: CSV,
}));

/** The deliveries whose files were scanned, one entry per file. */
function scannedDeliveries(): string[] {
  return vi.mocked(scanCsvFile).mock.calls.map(([ref]) => ref.delivery);
}

describe('verifying the deliveries of a landing directory', () => {
  test('the first delivery refused is the one raised, though a later one fails sooner', async () => {
    const landing = makeTempDir();
    // d1's file is read to its end before its sha256 is known to differ; d2's delivery.json fails at once
    const d1 = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
    writeFileSync(join(d1, 'persons.csv'), CSV.replace('1980', '1981'));
    const d2 = writeDelivery(landing, 'd2', tenFiles);
    writeFileSync(join(d2, 'delivery.json'), '{');
    const run = withDatabase((db) => ingestDeliveries(db, { landing, deliveries: 'all', runId: 'test-run' }));
    await expect(run).rejects.toThrow(/^d1\/persons\.csv: sha256 is/);
  });

  test('once a delivery is refused, the files of later ones not yet started are left unread', async () => {
    vi.mocked(scanCsvFile).mockClear();
    const landing = makeTempDir();
    const d1 = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
    rmSync(join(d1, 'persons.csv'));
    writeDelivery(landing, 'd2', tenFiles);
    const run = withDatabase((db) => ingestDeliveries(db, { landing, deliveries: 'all', runId: 'test-run' }));
    await expect(run).rejects.toThrow('d1/persons.csv: listed in delivery.json but missing');
    // the other lane reads d2's files while d1's open fails; read one after another, all ten would be
    expect(scannedDeliveries().filter((delivery) => delivery === 'd2').length).toBeLessThan(10);
  });

  test('with onRefused every delivery is read, and the refusals come in delivery order', async () => {
    vi.mocked(scanCsvFile).mockClear();
    const landing = makeTempDir();
    const d1 = writeDelivery(landing, 'd1', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
    writeFileSync(join(d1, 'persons.csv'), CSV.replace('1980', '1981'));
    const d2 = writeDelivery(landing, 'd2', [{ name: 'persons.csv', extract: 'persons', csv: CSV }]);
    rmSync(join(d2, 'persons.csv'));
    writeDelivery(landing, 'd3', tenFiles);
    const refused: [string, string][] = [];
    const report = await withDatabase((db) =>
      ingestDeliveries(db, {
        landing,
        deliveries: 'all',
        runId: 'test-run',
        onRefused: (delivery, failure: PipelineFailure) => refused.push([delivery, failure.message]),
      }),
    );
    expect(refused).toEqual([
      ['d1', expect.stringMatching(/^d1\/persons\.csv: sha256 is/)],
      ['d2', expect.stringMatching(/^d2\/persons\.csv: listed in delivery.json but missing/)],
    ]);
    expect(report.newDeliveryIds).toEqual(['d3']);
    expect(scannedDeliveries().filter((delivery) => delivery === 'd3')).toHaveLength(10);
  });
});
