/**
 * `ipslink synth`: a synthetic delivery with a planted IPS effect (DESIGN §4).
 *
 * Writes the four extracts (gzipped CSV), `delivery.json` and `truth.json`
 * into one directory. Selection into IPS and job finding depend on the same
 * coarse cells, so a naive comparison is biased and exact matching on the
 * cells recovers the planted effect; about 1% of rows per extract are bad.
 * Everything is generated in DuckDB from hashes of the seed: the same seed
 * gives byte-identical files whatever the thread count. Files are written
 * under `.partial` names and renamed at the end, `delivery.json` last.
 * SQL: sql/synth/
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deliveryManifest, type DeliveryManifest } from '../contracts/delivery.js';
import { EXTRACTS } from '../contracts/extracts.js';
import { Database } from '../db/database.js';
import { fail } from '../errors.js';
import { generateSyntheticTables, type WorldParameters } from './generate-tables.js';
import { readTruth } from './truth.js';
import { PARTIAL_SUFFIX, writeExtractFiles } from './write-extracts.js';

export interface SynthOptions {
  outDir: string;
  persons: number;
  seed: number;
  /** Default `synth-<seed>`. */
  deliveryId?: string;
  /** ISO date; default 2021-06-30. */
  extractDate?: string;
  threads?: number;
}

export interface SynthSummary {
  deliveryId: string;
  files: { name: string; extract: string; rowCount: number }[];
  badRows: number;
  /** IPS persons in the study population the truth averages over. */
  ipsPersons: number;
}

const DEFAULT_EXTRACT_DATE = '2021-06-30';
/** Entity numbers must stay below 2^38 (job_no x 256 + period): persons x 4096 < 2^38. */
const MAX_PERSONS = 50_000_000;

export async function synthesizeDelivery(options: SynthOptions): Promise<SynthSummary> {
  const deliveryId = options.deliveryId ?? `synth-${options.seed}`;
  const extractDate = options.extractDate ?? DEFAULT_EXTRACT_DATE;
  checkOptions(options, deliveryId, extractDate);
  const manifestPath = join(options.outDir, 'delivery.json');
  if (existsSync(manifestPath)) fail({ code: 'output_exists', path: manifestPath });
  await mkdir(options.outDir, { recursive: true });

  const world: WorldParameters = { persons: options.persons, seed: options.seed, extractDate };
  const partials = [...EXTRACTS.map((extract) => `${extract.name}.csv.gz`), 'truth.json', 'delivery.json'].map(
    (name) => join(options.outDir, name + PARTIAL_SUFFIX),
  );
  const db = await Database.open(':memory:', { threads: options.threads });
  try {
    await generateSyntheticTables(db, world);
    const files = await writeExtractFiles(db, options.outDir);
    const badRows = Object.fromEntries(files.map((file) => [file.extract, file.badRows]));
    const truth = await readTruth(db, world, badRows);
    const manifest: DeliveryManifest = deliveryManifest.parse({
      delivery_id: deliveryId,
      extract_date: extractDate,
      files: files.map(({ name, extract, sha256, row_count }) => ({ name, extract, sha256, row_count })),
    });
    await writeFile(join(options.outDir, 'truth.json' + PARTIAL_SUFFIX), `${JSON.stringify(truth, null, 2)}\n`);
    await writeFile(manifestPath + PARTIAL_SUFFIX, `${JSON.stringify(manifest, null, 2)}\n`);
    for (const partial of partials) await rename(partial, partial.slice(0, -PARTIAL_SUFFIX.length));
    return {
      deliveryId,
      files: files.map((file) => ({ name: file.name, extract: file.extract, rowCount: file.row_count })),
      badRows: files.reduce((total, file) => total + file.badRows, 0),
      ipsPersons: truth.ips_persons,
    };
  } catch (error) {
    await Promise.all(partials.map((partial) => rm(partial, { force: true })));
    throw error;
  } finally {
    db.close();
  }
}

function checkOptions(options: SynthOptions, deliveryId: string, extractDate: string): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.persons) || options.persons < 1 || options.persons > MAX_PERSONS) {
    problems.push(`persons must be a whole number from 1 to ${MAX_PERSONS}`);
  }
  if (!Number.isSafeInteger(options.seed)) problems.push('seed must be a whole number');
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    problems.push('threads must be a whole number >= 1');
  }
  if (!deliveryManifest.shape.delivery_id.safeParse(deliveryId).success) {
    problems.push('delivery id must be 1–100 chars of [A-Za-z0-9_.-]');
  }
  if (!deliveryManifest.shape.extract_date.safeParse(extractDate).success) {
    problems.push('extract date must be a date as YYYY-MM-DD');
  }
  if (problems.length) fail({ code: 'usage', message: `synth: ${problems.join('; ')}` });
}
