/**
 * `ipslink synth`: a synthetic delivery with a planted IPS effect (DESIGN §4).
 *
 * Writes the extracts (gzipped CSV: the four of every delivery and, unless
 * `healthcareCosts` is false, the optional healthcare_costs), `delivery.json`
 * and `truth.json` into one directory, or one world as two deliveries
 * (`deliveries: 2`): the world as known at 2018-06-30 into `<out>.1`, and
 * every row new or changed since, at the extract date, into `<out>.2` (with
 * truth.json). Selection into IPS and job finding depend on the same coarse
 * cells, so a naive comparison is biased and exact matching on the cells
 * recovers the planted effect; the extracts carry the hazards of real
 * register extracts (deaths, emigration, state-pension age, coverage,
 * benefit chains, non-qualifying spells, crossover trajectories,
 * corrections) and about 1% bad rows per file.
 * Everything is generated in DuckDB from hashes of the seed: the same seed
 * gives byte-identical files whatever the thread count, and the same other
 * files with and without healthcare_costs. Files are written under
 * `.partial` names and renamed at the end, each `delivery.json` last.
 * SQL: sql/synth/
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deliveryManifest, type FileMode, lastCompleteMonth } from '../contracts/delivery.js';
import { EXTRACTS, type ExtractName, healthcareCosts } from '../contracts/extracts.js';
import { Database } from '../db/database.js';
import { fail } from '../errors.js';
import { type CoveredMonths, generateSyntheticTables, type WorldParameters } from './generate-tables.js';
import { readTruth, type TruthDelivery } from './truth.js';
import { PARTIAL_SUFFIX, writeExtractFiles } from './write-extracts.js';

export interface SynthOptions {
  /** The delivery directory; with two deliveries, `<outDir>.1` and `<outDir>.2`. */
  outDir: string;
  persons: number;
  seed: number;
  /** Default `synth-<seed>`; with two deliveries, `<id>.1` and `<id>.2`. */
  deliveryId?: string;
  /** ISO date of the (last) delivery; default 2021-06-30. */
  extractDate?: string;
  /** 1 (default): one delivery; 2: the same world as two deliveries, the first at 2018-06-30. */
  deliveries?: 1 | 2;
  /** Whether every delivery holds the optional healthcare_costs file (default true); the other files are the same either way. */
  healthcareCosts?: boolean;
  threads?: number;
}

export interface SynthFileSummary {
  name: string;
  extract: string;
  rowCount: number;
  mode: FileMode;
}

export interface SynthDeliverySummary {
  deliveryId: string;
  dir: string;
  extractDate: string;
  files: SynthFileSummary[];
  badRows: number;
}

export interface SynthSummary {
  /** The deliveries written, in order; the last one holds truth.json. */
  deliveries: SynthDeliverySummary[];
  /** The last delivery's id. */
  deliveryId: string;
  /** Every file written, over all deliveries, in order. */
  files: (SynthFileSummary & { deliveryId: string })[];
  /** Bad rows planted, over all deliveries. */
  badRows: number;
  /** IPS persons in the study population the truth averages over. */
  ipsPersons: number;
}

const DEFAULT_EXTRACT_DATE = '2021-06-30';
/** Extract date of the first of two deliveries. */
const FIRST_OF_TWO_EXTRACT_DATE = '2018-06-30';
/**
 * First months the source registers cover: the employment coverage starts
 * inside the 24-month look-back of index dates before July 2012, so those
 * persons leave the cohort.
 */
const COVERAGE_FROM: Record<'employment_periods' | 'benefit_spells', string> = {
  employment_periods: '2010-07',
  benefit_spells: '2008-01',
};
/** Entity numbers must stay below 2^38 (job_no x 256 + period): persons x 4096 < 2^38. */
const MAX_PERSONS = 50_000_000;

interface PlannedDelivery {
  deliveryNo: 1 | 2;
  deliveryId: string;
  dir: string;
  extractDate: string;
  /** Extracts delivered as `full` files. */
  modes: Partial<Record<ExtractName, FileMode>>;
}

export async function synthesizeDelivery(options: SynthOptions): Promise<SynthSummary> {
  const extractDate = options.extractDate ?? DEFAULT_EXTRACT_DATE;
  const planned = planDeliveries(options, extractDate);
  checkOptions(options, planned, extractDate);
  for (const delivery of planned) {
    const manifestPath = join(delivery.dir, 'delivery.json');
    if (existsSync(manifestPath)) fail({ code: 'output_exists', path: manifestPath });
  }
  for (const delivery of planned) await mkdir(delivery.dir, { recursive: true });

  const extracts = EXTRACTS.filter((extract) => extract !== healthcareCosts || (options.healthcareCosts ?? true));
  const last = planned.at(-1)!;
  const world: WorldParameters = {
    persons: options.persons,
    seed: options.seed,
    extractDate,
    deliveries: planned.length as 1 | 2,
    firstExtractDate: planned[0]!.extractDate,
    coverage: {
      employmentPeriods: coveredMonths('employment_periods', extractDate),
      benefitSpells: coveredMonths('benefit_spells', extractDate),
    },
  };
  const partials = planned.flatMap((delivery) =>
    [...extracts.map((extract) => `${extract.name}.csv.gz`), ...(delivery === last ? ['truth.json'] : []), 'delivery.json'].map((name) =>
      join(delivery.dir, name + PARTIAL_SUFFIX),
    ),
  );
  const db = await Database.open(':memory:', { threads: options.threads });
  try {
    await generateSyntheticTables(db, world);
    const written: SynthDeliverySummary[] = [];
    const truthDeliveries: TruthDelivery[] = [];
    // every delivery's files at once (writeExtractFiles writes side by side): the first delivery's payroll file
    // alone takes as long as the rest of its files
    const deliveryFiles = await Promise.all(
      planned.map((delivery) => writeExtractFiles(db, delivery.dir, delivery.deliveryNo, delivery.modes, extracts)),
    );
    for (const [index, delivery] of planned.entries()) {
      const files = deliveryFiles[index]!;
      const manifest = deliveryManifest.parse({
        delivery_id: delivery.deliveryId,
        extract_date: delivery.extractDate,
        coverage: Object.fromEntries(
          (Object.keys(COVERAGE_FROM) as (keyof typeof COVERAGE_FROM)[]).map((extract) => [
            extract,
            { from: COVERAGE_FROM[extract], to: lastCompleteMonth(delivery.extractDate) },
          ]),
        ),
        files: files.map(({ name, extract, sha256, row_count, mode }) => ({ name, extract, sha256, row_count, mode })),
      });
      await writeFile(join(delivery.dir, `delivery.json${PARTIAL_SUFFIX}`), `${JSON.stringify(manifest, null, 2)}\n`);
      written.push({
        deliveryId: delivery.deliveryId,
        dir: delivery.dir,
        extractDate: delivery.extractDate,
        files: files.map((file) => ({ name: file.name, extract: file.extract, rowCount: file.row_count, mode: file.mode })),
        badRows: files.reduce((total, file) => total + file.badRows, 0),
      });
      truthDeliveries.push({
        delivery_id: delivery.deliveryId,
        extract_date: delivery.extractDate,
        synth_bad_rows: Object.fromEntries(files.map((file) => [file.extract, file.badRows])),
      });
    }
    const truth = await readTruth(db, world, truthDeliveries);
    await writeFile(join(last.dir, `truth.json${PARTIAL_SUFFIX}`), `${JSON.stringify(truth, null, 2)}\n`);
    for (const partial of partials) await rename(partial, partial.slice(0, -PARTIAL_SUFFIX.length));
    return {
      deliveries: written,
      deliveryId: last.deliveryId,
      files: written.flatMap((delivery) => delivery.files.map((file) => ({ ...file, deliveryId: delivery.deliveryId }))),
      badRows: written.reduce((total, delivery) => total + delivery.badRows, 0),
      ipsPersons: truth.ips_persons,
    };
  } catch (error) {
    await Promise.all(partials.map((partial) => rm(partial, { force: true })));
    throw error;
  } finally {
    db.close();
  }
}

/** One delivery into `outDir`, or two into `<outDir>.1` and `<outDir>.2`. */
function planDeliveries(options: SynthOptions, extractDate: string): PlannedDelivery[] {
  const deliveryId = options.deliveryId ?? `synth-${options.seed}`;
  if ((options.deliveries ?? 1) === 1) {
    return [{ deliveryNo: 1, deliveryId, dir: options.outDir, extractDate, modes: {} }];
  }
  const base = options.outDir.replace(/[\\/]+$/, '');
  return [
    { deliveryNo: 1, deliveryId: `${deliveryId}.1`, dir: `${base}.1`, extractDate: FIRST_OF_TWO_EXTRACT_DATE, modes: {} },
    { deliveryNo: 2, deliveryId: `${deliveryId}.2`, dir: `${base}.2`, extractDate, modes: { persons: 'full' } },
  ];
}

/** The months an extract's register covers at an extract date: from its first month to the last complete one. */
function coveredMonths(extract: keyof typeof COVERAGE_FROM, extractDate: string): CoveredMonths {
  return { from: `${COVERAGE_FROM[extract]}-01`, to: `${lastCompleteMonth(extractDate)}-01` };
}

function checkOptions(options: SynthOptions, planned: readonly PlannedDelivery[], extractDate: string): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.persons) || options.persons < 1 || options.persons > MAX_PERSONS) {
    problems.push(`persons must be a whole number from 1 to ${MAX_PERSONS}`);
  }
  if (!Number.isSafeInteger(options.seed)) problems.push('seed must be a whole number');
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    problems.push('threads must be a whole number >= 1');
  }
  if (options.deliveries !== undefined && options.deliveries !== 1 && options.deliveries !== 2) {
    problems.push('deliveries must be 1 or 2');
  }
  if (planned.some((delivery) => !deliveryManifest.shape.delivery_id.safeParse(delivery.deliveryId).success)) {
    problems.push('delivery id must be 1–100 chars of [A-Za-z0-9_.-] (98 with two deliveries)');
  }
  if (!deliveryManifest.shape.extract_date.safeParse(extractDate).success) {
    problems.push('extract date must be a date as YYYY-MM-DD');
  } else {
    const coverageStart = Object.values(COVERAGE_FROM).sort().at(-1)!;
    if (lastCompleteMonth(extractDate) < coverageStart) {
      problems.push(`extract date must leave a complete month from ${coverageStart} on`);
    }
    if (planned.length === 2 && extractDate <= FIRST_OF_TWO_EXTRACT_DATE) {
      problems.push(`with two deliveries the extract date must be after ${FIRST_OF_TWO_EXTRACT_DATE}, the first one's`);
    }
  }
  if (problems.length) fail({ code: 'usage', message: `synth: ${problems.join('; ')}` });
}
