/**
 * Ingest stage: verify deliveries, read each file's rows as raw text
 * (read-raw-file.ts), validate them in DuckDB and load them into the
 * warehouse, incrementally.
 *
 * A delivery is immutable: one already in the warehouse with the same sha256
 * is skipped (so a nightly rerun is idempotent); the same delivery id with a
 * different file is an error. A new delivery's files are read and checked
 * first, then written in one transaction, so a failure leaves the warehouse
 * as it was (loadDelivery). Per file, rows read = accepted +
 * rejected, and a delivery whose file does not hold `row_count` rows is
 * refused whole. Accepted rows supersede earlier versions of their key
 * (load-sql.ts); each file's coverage of calendar months is recorded, as
 * stated in delivery.json or read from its rows. Every extract's tables are
 * created whether or not a delivery holds it, so the optional one
 * (healthcare_costs) is an empty table in a study without it.
 *
 * Hostile or broken files are refused before DuckDB reads them: each CSV file
 * of a new delivery is read once in a stream (scan-file.ts) with the config's
 * `limits:` (bytes after decompression, record length), and its quote-aware
 * record count must equal both delivery.json's row_count and what DuckDB
 * parsed plus rejected, so no row is lost without trace. DuckDB loads
 * them within the run's memory (resources.memory_limit), spilling beyond it.
 */
import { basename, join } from 'node:path';
import { DEFAULT_LIMITS, type StudyConfig } from '../config/study-config.js';
import type { Extract, RuleContext } from '../contracts/define-extract.js';
import { type DeliveryFile, lastCompleteMonth } from '../contracts/delivery.js';
import { EXTRACTS, extractByName } from '../contracts/extracts.js';
import { type Database, quoteIdentifier } from '../db/database.js';
import { fail, PipelineFailure } from '../errors.js';
import { logInfo } from '../log.js';
import type { Stage } from '../stage.js';
import {
  type Delivery,
  type FileLanes,
  fileLanes,
  readDelivery,
  selectedDeliveries,
  type VerifiedFile,
  verifyDeliveryFiles,
} from './delivery-manifest.js';
import {
  applyIncomingSql,
  classifyRawRowsSql,
  compareIncomingSql,
  countWithdrawnSql,
  createAcceptedTableSql,
  createSupersededTableSql,
  duplicatesTable,
  type InForceSource,
  insertRejectsSql,
  linesInForceVariable,
  markDuplicatesSql,
  newerInForceSql,
  recordDataCoverageSql,
  togetherColumnsSql,
} from './load-sql.js';
import { dropRawRecords, type LineNumbering, readRawFile } from './read-raw-file.js';
import { checkUnchanged } from './regular-file.js';
import { type IngestLimits, maxLineSizeOf } from './scan-file.js';

export const ingestStage: Stage = {
  name: 'ingest',
  reads: [],
  writes: [
    'persons',
    'benefit_spells',
    'employment_periods',
    'trajectories',
    'healthcare_costs',
    'ingested_files',
    'rejects',
    'extract_coverage',
    'persons_superseded',
    'benefit_spells_superseded',
    'employment_periods_superseded',
    'trajectories_superseded',
    'healthcare_costs_superseded',
    'warehouse_meta',
  ],
  /** Per file: its raw rows (read-raw-file.ts), then `classified_<n>`, `classified_<n>_duplicates` and `incoming` (load-sql.ts). */
  scratch: ['raw_*', 'classified_*', 'incoming'],
  keptBetweenRuns: true,
  run: async ({ db, study, runId, landing, onRefusedDelivery }) => {
    const limits = ingestLimitsOf(study.limits);
    await ingestDeliveries(db, { landing, deliveries: study.deliveries, runId, limits, onRefused: onRefusedDelivery });
  },
};

/** Bumped whenever a warehouse table changes shape; an older warehouse is refused, not misread. */
export const WAREHOUSE_SCHEMA_VERSION = 2;

export interface IngestOptions {
  landing: string;
  deliveries: 'all' | readonly string[];
  runId: string;
  /** The study config's `limits:`; the config's defaults when left out. */
  limits?: IngestLimits;
  /**
   * `ipslink validate`: a delivery refused (read, verified or loaded) is reported here and the others
   * go on. Absent (`run`): the first refusal stops ingest, before anything is loaded when it can.
   */
  onRefused?: (delivery: string, failure: PipelineFailure) => void;
}

/** The defaults of the study config's `limits:` section (src/config/study-config.ts says why). */
export const DEFAULT_INGEST_LIMITS = ingestLimitsOf(DEFAULT_LIMITS);

/** The study config's `limits:` as ingest takes them. */
export function ingestLimitsOf(limits: StudyConfig['limits']): IngestLimits {
  return { maxFileMib: limits.max_file_mib, maxLineKib: limits.max_line_kib };
}

export interface IngestedFile {
  delivery_id: string;
  file: string;
  extract: string;
  mode: string;
  sha256: string;
  rows_read: number;
  rows_accepted: number;
  rows_rejected: number;
  rows_inserted: number;
  rows_replaced: number;
  rows_unchanged: number;
  rows_stale: number;
  rows_withdrawn: number;
}

export interface IngestReport {
  deliveryIds: string[];
  newDeliveryIds: string[];
  files: IngestedFile[];
}

const FILE_COUNTS = [
  'rows_read',
  'rows_accepted',
  'rows_rejected',
  'rows_inserted',
  'rows_replaced',
  'rows_unchanged',
  'rows_stale',
  'rows_withdrawn',
] as const;

/** The schema version of the warehouse's tables: null for a new warehouse, 1 for one from before warehouse_meta. */
export async function warehouseSchemaVersion(db: Database): Promise<number | null> {
  const [existing] = await db.query<{ has_files: boolean; has_meta: boolean }>(
    'ingest: warehouse tables',
    `select count(*) filter (where table_name = 'ingested_files') > 0 as has_files,
        count(*) filter (where table_name = 'warehouse_meta') > 0 as has_meta
     from duckdb_tables() where schema_name = 'main'`,
  );
  const [meta] = existing?.has_meta
    ? await db.query<{ version: number }>('ingest: schema version', 'select max(schema_version)::integer as version from warehouse_meta')
    : [];
  return meta?.version ?? (existing?.has_files ? 1 : null);
}

export async function createWarehouseTables(db: Database): Promise<void> {
  const version = await warehouseSchemaVersion(db);
  if (version !== null && version !== WAREHOUSE_SCHEMA_VERSION) {
    fail({ code: 'warehouse_outdated', path: db.path, found: version, expected: WAREHOUSE_SCHEMA_VERSION });
  }
  // One transaction: a run killed while it creates the tables leaves all of them or none, never an
  // ingested_files without its rejects, or a warehouse_meta without the version (which would read as outdated).
  await db.inTransaction('ingest: create warehouse', async () => {
    await db.runFile('ingest/01_create_warehouse.sql');
    if (version === null)
      await db.run('ingest: schema version', 'insert into warehouse_meta values ($version)', { version: WAREHOUSE_SCHEMA_VERSION });
    for (const extract of EXTRACTS) {
      await db.run(`ingest: create ${extract.name}`, createAcceptedTableSql(extract));
      await db.run(`ingest: create ${extract.name} history`, createSupersededTableSql(extract));
    }
  });
}

export async function ingestDeliveries(db: Database, options: IngestOptions): Promise<IngestReport> {
  const limits = options.limits ?? DEFAULT_INGEST_LIMITS;
  await createWarehouseTables(db);
  const names = selectedDeliveries(options.landing, options.deliveries);
  if (names.length === 0) fail({ code: 'delivery_not_found', landing: options.landing, delivery: '(any)' });
  /** Runs a step of one delivery; with onRefused, its refusal is reported and the delivery left out. */
  const refusable = async <T>(name: string, step: () => Promise<T>): Promise<T | null> => {
    try {
      return await step();
    } catch (error) {
      if (!(options.onRefused && error instanceof PipelineFailure)) throw error;
      options.onRefused(name, error);
      return null;
    }
  };
  const { deliveries, verified } = await verifyDeliveries(db, names, { ...options, limits }, refusable);

  const newDeliveryIds: string[] = [];
  // Named when a file needs more: the run's resources.memory_limit gave DuckDB this much.
  const memoryLimit = await currentMemoryLimit(db);
  for (const [index, delivery] of deliveries.entries()) {
    await refusable(basename(delivery.dir), async () => {
      // Asked again: two directories may hold the same delivery id, and the first may have just been loaded.
      const now = await loadedState(db, delivery);
      if (now.state === 'changed') fail({ code: 'delivery_changed', delivery: now.file.delivery, file: now.file.name });
      if (now.state !== 'new') return;
      await loadDelivery(db, delivery, verified[index]!, { runId: options.runId, limits, memoryLimit });
      newDeliveryIds.push(delivery.manifest.delivery_id);
    });
  }
  const deliveryIds = deliveries.map((delivery) => delivery.manifest.delivery_id);
  return { deliveryIds, newDeliveryIds, files: await readIngestedFiles(db, deliveryIds) };
}

type Refusable = <T>(name: string, step: () => Promise<T>) => Promise<T | null>;

/**
 * Every delivery is verified before any is loaded; a loaded one is only hashed. Their manifests and warehouse
 * state are read first, in order; then the files of all of them are read in one set of lanes, so a delivery's
 * largest file does not leave the other cores idle while the next delivery waits (at 1,000,000 persons each
 * delivery's payroll file is most of its bytes). Outcomes are taken in delivery order, so the refusal raised or
 * reported first is the first delivery's, as when they were read one after another. Without onRefused, once a
 * delivery fails the files of later ones not yet started are skipped: the run stops at an earlier refusal anyway.
 */
async function verifyDeliveries(
  db: Database,
  names: readonly string[],
  options: IngestOptions & { limits: IngestLimits },
  refusable: Refusable,
): Promise<{ deliveries: Delivery[]; verified: Map<string, VerifiedFile>[] }> {
  const heads: PromiseSettledResult<{ delivery: Delivery; isLoaded: boolean }>[] = [];
  for (const name of names) {
    try {
      const delivery = readDelivery(options.landing, name);
      const { state, file } = await loadedState(db, delivery);
      if (state === 'changed') fail({ code: 'delivery_changed', delivery: file.delivery, file: file.name });
      heads.push({ status: 'fulfilled', value: { delivery, isLoaded: state !== 'new' } });
    } catch (reason) {
      heads.push({ status: 'rejected', reason });
    }
  }
  const pool = fileLanes();
  let stopAfter = Number.POSITIVE_INFINITY;
  const checks = heads.map(async (head, index) => {
    try {
      if (head.status === 'rejected') throw head.reason;
      const { delivery, isLoaded } = head.value;
      const lanes: FileLanes = (verify) => pool(() => (index > stopAfter ? Promise.reject(new Error('skipped')) : verify()));
      return { delivery, files: await verifyDeliveryFiles(delivery, { limits: options.limits, isLoaded, lanes }) };
    } catch (error) {
      if (!options.onRefused) stopAfter = Math.min(stopAfter, index);
      throw error;
    }
  });
  // every check settles before a refusal is raised: no file is left being read
  const settled = await Promise.allSettled(checks);
  const deliveries: Delivery[] = [];
  const verified: Map<string, VerifiedFile>[] = [];
  for (const [index, name] of names.entries()) {
    const outcome = settled[index]!;
    const checked = await refusable(name, async () => {
      if (outcome.status === 'rejected') throw outcome.reason;
      return outcome.value;
    });
    if (checked) {
      deliveries.push(checked.delivery);
      verified.push(checked.files);
    }
  }
  return { deliveries, verified };
}

/** DuckDB's memory_limit as it reports it (rounded, e.g. '18.8 GiB'). */
async function currentMemoryLimit(db: Database): Promise<string> {
  const [current] = await db.query<{ limit: string }>('ingest: memory limit', "select current_setting('memory_limit') as limit");
  return current!.limit;
}

/** Every file in the warehouse (or of the given deliveries) with its counts, in delivery and file order. */
export async function readIngestedFiles(db: Database, deliveryIds?: readonly string[]): Promise<IngestedFile[]> {
  return db.query<IngestedFile>(
    'ingest: file counts',
    `select delivery_id, file, extract, mode, sha256, ${FILE_COUNTS.map((count) => `${count}::double as ${count}`).join(', ')}
     from ingested_files where $all or list_contains($ids, delivery_id) order by delivery_id, file`,
    { all: deliveryIds === undefined, ids: [...(deliveryIds ?? [])] },
  );
}

type LoadedState = { state: 'new' | 'loaded'; file?: undefined } | { state: 'changed'; file: { delivery: string; name: string } };

/** Whether the delivery is new, in the warehouse as delivery.json lists it, or in the warehouse with other files. */
async function loadedState(db: Database, delivery: Delivery): Promise<LoadedState> {
  const { delivery_id: id, files } = delivery.manifest;
  const known = await db.query<{ file: string; sha256: string }>(
    'ingest: known files',
    'select file, sha256 from ingested_files where delivery_id = $id',
    { id },
  );
  if (known.length === 0) return { state: 'new' };
  for (const file of files) {
    const match = known.find((row) => row.file === file.name);
    if (!match || match.sha256 !== file.sha256) return { state: 'changed', file: { delivery: id, name: file.name } };
  }
  return { state: 'loaded' };
}

function loadOrder(delivery: Delivery) {
  const order = EXTRACTS.map((extract) => extract.name as string);
  return [...delivery.manifest.files].sort((a, b) => order.indexOf(a.extract) - order.indexOf(b.extract) || a.name.localeCompare(b.name));
}

interface LoadOptions {
  runId: string;
  limits: IngestLimits;
  /** DuckDB's memory_limit as it reports it, for the refusal of a file that needs more. */
  memoryLimit: string;
}

/**
 * Loads a delivery in two passes. First each file is read and checked into
 * its own `classified_<n>` table, its duplicates found beside it, outside any
 * transaction: DuckDB reads a temporary table written inside a transaction
 * several times slower (the payroll file's rejects took 7.7 s in one and
 * 1.8 s outside, at 1 M persons). A file refused there leaves nothing behind.
 * Then one transaction writes every file's rejects and rows in force, so a
 * failure leaves the warehouse as it was.
 */
async function loadDelivery(db: Database, delivery: Delivery, verified: Map<string, VerifiedFile>, options: LoadOptions): Promise<void> {
  const { delivery_id: deliveryId, extract_date: extractDate, coverage = {} } = delivery.manifest;
  const staged: StagedFile[] = [];
  try {
    for (const file of loadOrder(delivery)) {
      const toLoad = { file, verified: verified.get(file.name)!, coverageStated: file.extract in coverage };
      const earlier = staged.filter((other) => other.toLoad.file.extract === file.extract).map((other) => other.classified);
      const stage = () => stageFile(db, delivery, toLoad, `classified_${staged.length}`, earlier, maxLineSizeOf(options.limits));
      staged.push(await refusingOutOfMemory(delivery, file, options, stage));
    }
    await db.inTransaction('ingest', async () => {
      for (const [extract, months] of Object.entries(coverage)) {
        if (!months) continue;
        const mode = delivery.manifest.files.find((file) => file.extract === extract)!.mode;
        await db.run(
          `ingest: coverage of ${extract}`,
          `insert into extract_coverage values ($delivery_id, $extract_date::DATE, $extract, $mode,
              ($from || '-01')::DATE, ($to || '-01')::DATE, 'delivery.json')`,
          { delivery_id: deliveryId, extract_date: extractDate, extract, mode, from: months.from, to: months.to },
        );
      }
      for (const file of staged) {
        await refusingOutOfMemory(delivery, file.toLoad.file, options, () => applyStagedFile(db, delivery, file, options.runId));
      }
    });
  } finally {
    await dropRawRecords(db);
    // a file refused while staged or applied may have left its tables and variables
    const classified = [...staged.map((file) => file.classified), `classified_${staged.length}`];
    const drops = classified.map((table) => {
      const duplicates = duplicatesTable(table);
      return `drop table if exists ${quoteIdentifier(table)};
drop table if exists ${quoteIdentifier(duplicates)};
reset variable ${quoteIdentifier(duplicates)};
reset variable ${quoteIdentifier(linesInForceVariable(table))};`;
    });
    await db.run('ingest: drop staged files', drops.join('\n'));
  }
}

interface FileToLoad {
  file: DeliveryFile;
  verified: VerifiedFile;
  coverageStated: boolean;
}

/** A file read and checked, waiting in its `classified` table for the delivery's transaction. */
interface StagedFile {
  toLoad: FileToLoad;
  classified: string;
  rowsRead: number;
  /** Whether `classified` holds the rows in line order: numbering lines past malformed records joins them, which keeps no order. */
  inLineOrder: boolean;
  /** Its largest line number. */
  lastLine: number;
  /** Milliseconds spent reading and checking it. */
  stagingMs: number;
}

/** Runs a step of a file; DuckDB past its memory_limit, the file's fault or the limit's, is a refusal that names both. */
async function refusingOutOfMemory<T>(delivery: Delivery, file: DeliveryFile, options: LoadOptions, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const isOutOfMemory =
      error instanceof PipelineFailure && error.error.code === 'sql_failed' && /Out of Memory/i.test(error.error.detail);
    if (!isOutOfMemory) throw error;
    fail({
      code: 'ingest_memory_exceeded',
      delivery: delivery.manifest.delivery_id,
      file: file.name,
      memoryLimit: options.memoryLimit,
    });
  }
}

/** The file's data rows as DuckDB reads them, checked against the scan's count and delivery.json's row_count. */
async function readCountedRows(
  db: Database,
  delivery: Delivery,
  toLoad: FileToLoad,
  maxLineSize: number,
): Promise<{ rowsRead: number; lineNumbers: LineNumbering }> {
  const { file, verified } = toLoad;
  const deliveryId = delivery.manifest.delivery_id;
  const isScanned = 'dataRecords' in verified;
  // The scan's count settles a wrong row_count before DuckDB reads a byte.
  if (isScanned && verified.dataRecords !== file.row_count) {
    fail({ code: 'row_count_mismatch', delivery: deliveryId, file: file.name, expected: file.row_count, actual: verified.dataRecords });
  }
  const ref = { dir: delivery.dir, delivery: deliveryId, file: file.name };
  checkUnchanged(ref, verified.identity);
  const extract = extractByName(file.extract)!;
  const path = join(delivery.dir, file.name);
  const csv = isScanned ? { headerLine: verified.headerLine, maxLineSize } : undefined;
  const { parsed, malformed, lineNumbers } = await readRawFile(db, { path, deliveryId, fileName: file.name, extract, csv }).catch(
    (error: unknown) => {
      // DuckDB refusing the file's content (mixed line endings, not Parquet): a refusal naming only DuckDB's error class.
      const errorClass = error instanceof PipelineFailure && error.error.code === 'sql_failed' ? inputErrorClass(error.error.detail) : null;
      if (errorClass === null) throw error;
      fail({
        code: 'file_unreadable',
        delivery: deliveryId,
        file: file.name,
        reason: `DuckDB's reader refuses its content (${errorClass})`,
      });
    },
  );
  if (isScanned && parsed + malformed !== verified.dataRecords) {
    fail({ code: 'record_count_mismatch', delivery: deliveryId, file: file.name, counted: verified.dataRecords, parsed, malformed });
  }
  const rowsRead = parsed + malformed;
  if (rowsRead !== file.row_count) {
    fail({ code: 'row_count_mismatch', delivery: deliveryId, file: file.name, expected: file.row_count, actual: rowsRead });
  }
  return { rowsRead, lineNumbers };
}

/** DuckDB's error class when the error is about the input it read, else null; the rest of its message may quote the file. */
function inputErrorClass(detail: string): string | null {
  return /^(?:Error: )?((?:Invalid Input|Conversion|IO) Error):/.exec(detail)?.[1] ?? null;
}

/** Reads a file and classifies its rows into `classified`; `earlier` are the delivery's classified files of the same extract. */
async function stageFile(
  db: Database,
  delivery: Delivery,
  toLoad: FileToLoad,
  classified: string,
  earlier: readonly string[],
  maxLineSize: number,
): Promise<StagedFile> {
  const { file } = toLoad;
  const extract = extractByName(file.extract)!;
  const context: RuleContext = { extractDate: delivery.manifest.extract_date };
  const started = performance.now();
  const { rowsRead, lineNumbers } = await readCountedRows(db, delivery, toLoad, maxLineSize);
  await db.run(`ingest: classify ${file.name}`, classifyRawRowsSql(extract, context, classified));
  const [{ lastLine }] = (await db.query<{ lastLine: number }>(
    `ingest: last line of ${file.name}`,
    `select coalesce(max(line_number), 0)::double as lastLine from ${quoteIdentifier(classified)}`,
  )) as [{ lastLine: number }];
  await db.run(`ingest: duplicates in ${file.name}`, markDuplicatesSql(extract, classified, earlier, lastLine));
  await dropRawRecords(db);
  return { toLoad, classified, rowsRead, inLineOrder: lineNumbers !== 'counted', lastLine, stagingMs: performance.now() - started };
}

/**
 * Creates the extract's table again, still empty, with its identifiers stored as the file in `classified` holds
 * them (togetherColumnsSql; acceptedColumnsSql says why): an extract's first file is usually its largest.
 */
async function storeAsFileHolds(db: Database, extract: Extract, classified: string, fileName: string): Promise<void> {
  const sql = togetherColumnsSql(extract, classified);
  if (!sql) return;
  const [measured] = await db.query<Record<string, boolean>>(`ingest: identifiers together in ${fileName}`, sql);
  const together = new Set(Object.keys(measured!).filter((column) => measured![column]));
  await db.run(
    `ingest: store ${extract.name}`,
    `drop table ${quoteIdentifier(extract.name)};\n${createAcceptedTableSql(extract, together)}`,
  );
}

/** Writes a staged file's rejects and puts its accepted rows in force, inside the delivery's transaction. */
async function applyStagedFile(db: Database, delivery: Delivery, staged: StagedFile, runId: string): Promise<void> {
  const { toLoad, classified, rowsRead } = staged;
  const { file } = toLoad;
  const { delivery_id: deliveryId, extract_date: extractDate } = delivery.manifest;
  const extract = extractByName(file.extract)!;
  const started = performance.now();
  const version = { delivery_id: deliveryId, extract_date: extractDate };
  await db.run(`ingest: reject ${file.name}`, insertRejectsSql(extract, classified), {
    run_id: runId,
    delivery_id: deliveryId,
    file: file.name,
  });
  const [{ rejected, anyInForce }] = (await db.query<{ rejected: number; anyInForce: boolean }>(
    `ingest: rejected in ${file.name}`,
    `select ((select count(*) from ${quoteIdentifier(classified)} where rule_id is not null)
            + (select count(*) from ${quoteIdentifier(duplicatesTable(classified))}))::double as rejected,
        exists (select 1 from ${quoteIdentifier(extract.name)}) as anyInForce`,
  )) as [{ rejected: number; anyInForce: boolean }];
  if (!anyInForce) await storeAsFileHolds(db, extract, classified, file.name);
  await db.run(`ingest: compare ${file.name}`, compareIncomingSql(extract, anyInForce, classified), anyInForce ? version : {});
  let withdrawn = 0;
  if (file.mode === 'full') {
    const [newer] = await db.query<{ delivery_id: string; extract_date: string }>(
      `ingest: newer than ${file.name}`,
      newerInForceSql(extract),
      version,
    );
    if (newer)
      fail({ code: 'full_file_outdated', delivery: deliveryId, file: file.name, newer: newer.delivery_id, newerDate: newer.extract_date });
    [{ withdrawn }] = (await db.query<{ withdrawn: number }>(`ingest: withdrawn by ${file.name}`, countWithdrawnSql(extract))) as [
      { withdrawn: number },
    ];
  }
  const source: InForceSource = !staged.inLineOrder
    ? { read: 'sorted classified', classified, lastLine: staged.lastLine }
    : anyInForce
      ? { read: 'classified', classified, lastLine: staged.lastLine }
      : { read: 'accepted', classified };
  await db.run(`ingest: apply ${file.name}`, applyIncomingSql(extract, file.mode, source), { delivery_id: deliveryId });
  if (extract.coverage && !toLoad.coverageStated) {
    await db.run(`ingest: coverage of ${file.name}`, recordDataCoverageSql(extract, classified), {
      ...version,
      mode: file.mode,
      last_complete_month: `${lastCompleteMonth(extractDate)}-01`,
    });
  }
  const [counts] = await db.query<Omit<Record<(typeof FILE_COUNTS)[number], number>, 'rows_read' | 'rows_rejected' | 'rows_withdrawn'>>(
    `ingest: count ${file.name}`,
    `select
        count(*)::double as rows_accepted,
        count(*) filter (where status = 'inserted')::double as rows_inserted,
        count(*) filter (where status = 'replaced')::double as rows_replaced,
        count(*) filter (where status = 'unchanged')::double as rows_unchanged,
        count(*) filter (where status = 'stale')::double as rows_stale
     from incoming`,
  );
  await db.run(`ingest: drop incoming of ${file.name}`, anyInForce ? 'drop table incoming' : 'drop view incoming');
  const recorded = { ...counts!, rows_read: rowsRead, rows_rejected: rejected, rows_withdrawn: withdrawn };
  await db.run(
    `ingest: record ${file.name}`,
    `insert into ingested_files values ($delivery_id, $extract_date::DATE, $file, $extract, $mode, $sha256,
        ${FILE_COUNTS.map((count) => `$${count}`).join(', ')}, $run_id)`,
    { ...version, file: file.name, extract: extract.name, mode: file.mode, sha256: toLoad.verified.sha256, ...recorded, run_id: runId },
  );
  const durationMs = Math.round(staged.stagingMs + performance.now() - started);
  logInfo(
    `  ${deliveryId}/${file.name}: ${rowsRead} read, ${recorded.rows_accepted} accepted ` +
      `(${recorded.rows_inserted} new, ${recorded.rows_replaced} replacing earlier versions, ${recorded.rows_unchanged} unchanged, ` +
      `${recorded.rows_stale} older than the version in force), ${recorded.rows_rejected} rejected` +
      (file.mode === 'full' ? `; full file: ${withdrawn} earlier rows withdrawn` : '') +
      ` (${durationMs} ms)`,
    { event: 'file_loaded', delivery: deliveryId, file: file.name, counts: recorded, duration_ms: durationMs },
  );
}
