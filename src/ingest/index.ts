/**
 * Ingest stage: verify deliveries, read each file's rows as raw text
 * (read-raw-file.ts), validate them in DuckDB and load them into the
 * warehouse, incrementally.
 *
 * A delivery is immutable: one already in the warehouse with the same sha256
 * is skipped (so a nightly rerun is idempotent); the same delivery id with a
 * different file is an error. Each new delivery loads in one transaction, so
 * a failure leaves the warehouse as it was. Per file, rows read = accepted +
 * rejected, and a delivery whose file does not hold `row_count` rows is
 * refused whole. Accepted rows supersede earlier versions of their key
 * (load-sql.ts); each file's coverage of calendar months is recorded, as
 * stated in delivery.json or read from its rows. Every extract's tables are
 * created whether or not a delivery holds it, so the optional one
 * (healthcare_costs) is an empty table in a study without it.
 */
import { join } from 'node:path';
import type { RuleContext } from '../contracts/define-extract.js';
import { type DeliveryFile, lastCompleteMonth } from '../contracts/delivery.js';
import { EXTRACTS, extractByName } from '../contracts/extracts.js';
import type { Database } from '../db/database.js';
import { fail } from '../errors.js';
import { logInfo } from '../log.js';
import type { Stage } from '../stage.js';
import { type Delivery, readDelivery, selectedDeliveries, verifyDeliveryFiles } from './delivery-manifest.js';
import {
  applyIncomingSql,
  classifyRawRowsSql,
  compareIncomingSql,
  countWithdrawnSql,
  createAcceptedTableSql,
  createSupersededTableSql,
  insertRejectsSql,
  newerInForceSql,
  recordDataCoverageSql,
} from './load-sql.js';
import { readRawFile } from './read-raw-file.js';

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
  /** Per file: its raw rows (read-raw-file.ts), then `classified` and `incoming` (load-sql.ts). */
  scratch: ['raw_*', 'classified', 'incoming'],
  run: async ({ db, study, runId, landing }) => {
    await ingestDeliveries(db, { landing, deliveries: study.deliveries, runId });
  },
};

/** Bumped whenever a warehouse table changes shape; an older warehouse is refused, not misread. */
export const WAREHOUSE_SCHEMA_VERSION = 2;

export interface IngestOptions {
  landing: string;
  deliveries: 'all' | readonly string[];
  runId: string;
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

export async function createWarehouseTables(db: Database): Promise<void> {
  const [existing] = await db.query<{ has_files: boolean; has_meta: boolean }>(
    'ingest: warehouse tables',
    `select count(*) filter (where table_name = 'ingested_files') > 0 as has_files,
        count(*) filter (where table_name = 'warehouse_meta') > 0 as has_meta
     from duckdb_tables() where schema_name = 'main'`,
  );
  const [meta] = existing?.has_meta
    ? await db.query<{ version: number }>('ingest: schema version', 'select max(schema_version)::integer as version from warehouse_meta')
    : [];
  const version = meta?.version ?? (existing?.has_files ? 1 : null);
  if (version !== null && version !== WAREHOUSE_SCHEMA_VERSION) {
    fail({ code: 'warehouse_outdated', path: db.path, found: version, expected: WAREHOUSE_SCHEMA_VERSION });
  }
  await db.runFile('ingest/01_create_warehouse.sql');
  if (version === null)
    await db.run('ingest: schema version', 'insert into warehouse_meta values ($version)', { version: WAREHOUSE_SCHEMA_VERSION });
  for (const extract of EXTRACTS) {
    await db.run(`ingest: create ${extract.name}`, createAcceptedTableSql(extract));
    await db.run(`ingest: create ${extract.name} history`, createSupersededTableSql(extract));
  }
}

export async function ingestDeliveries(db: Database, options: IngestOptions): Promise<IngestReport> {
  await createWarehouseTables(db);
  const names = selectedDeliveries(options.landing, options.deliveries);
  if (names.length === 0) fail({ code: 'delivery_not_found', landing: options.landing, delivery: '(any)' });
  const deliveries = names.map((name) => readDelivery(options.landing, name));
  for (const delivery of deliveries) await verifyDeliveryFiles(delivery);

  const newDeliveryIds: string[] = [];
  for (const delivery of deliveries) {
    if (await isAlreadyIngested(db, delivery)) continue;
    await loadDelivery(db, delivery, options.runId);
    newDeliveryIds.push(delivery.manifest.delivery_id);
  }
  const deliveryIds = deliveries.map((delivery) => delivery.manifest.delivery_id);
  return { deliveryIds, newDeliveryIds, files: await readIngestedFiles(db, deliveryIds) };
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

async function isAlreadyIngested(db: Database, delivery: Delivery): Promise<boolean> {
  const { delivery_id: id, files } = delivery.manifest;
  const known = await db.query<{ file: string; sha256: string }>(
    'ingest: known files',
    'select file, sha256 from ingested_files where delivery_id = $id',
    { id },
  );
  if (known.length === 0) return false;
  for (const file of files) {
    const match = known.find((row) => row.file === file.name);
    if (!match || match.sha256 !== file.sha256) fail({ code: 'delivery_changed', delivery: id, file: file.name });
  }
  return true;
}

function loadOrder(delivery: Delivery) {
  const order = EXTRACTS.map((extract) => extract.name as string);
  return [...delivery.manifest.files].sort((a, b) => order.indexOf(a.extract) - order.indexOf(b.extract) || a.name.localeCompare(b.name));
}

async function loadDelivery(db: Database, delivery: Delivery, runId: string): Promise<void> {
  const { delivery_id: deliveryId, extract_date: extractDate, coverage = {} } = delivery.manifest;
  await db.run('ingest: begin', 'begin transaction');
  try {
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
    for (const file of loadOrder(delivery)) {
      await loadFile(db, delivery, file, runId, file.extract in coverage);
    }
    await db.run('ingest: commit', 'commit');
  } catch (error) {
    await db.run('ingest: rollback', 'rollback');
    throw error;
  }
}

async function loadFile(db: Database, delivery: Delivery, file: DeliveryFile, runId: string, coverageStated: boolean): Promise<void> {
  const { delivery_id: deliveryId, extract_date: extractDate } = delivery.manifest;
  const extract = extractByName(file.extract)!;
  const context: RuleContext = { extractDate };
  const started = performance.now();
  const { rowsRead } = await readRawFile(db, { path: join(delivery.dir, file.name), deliveryId, fileName: file.name, extract });
  if (rowsRead !== file.row_count) {
    fail({ code: 'row_count_mismatch', delivery: deliveryId, file: file.name, expected: file.row_count, actual: rowsRead });
  }
  const version = { delivery_id: deliveryId, extract_date: extractDate };
  await db.run(`ingest: classify ${file.name}`, classifyRawRowsSql(extract, context), { delivery_id: deliveryId });
  await db.run(`ingest: reject ${file.name}`, insertRejectsSql(extract), { run_id: runId, delivery_id: deliveryId, file: file.name });
  await db.run(`ingest: compare ${file.name}`, compareIncomingSql(extract), version);
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
  await db.run(`ingest: apply ${file.name}`, applyIncomingSql(extract, file.mode), { delivery_id: deliveryId });
  if (extract.coverage && !coverageStated) {
    await db.run(`ingest: coverage of ${file.name}`, recordDataCoverageSql(extract), {
      ...version,
      mode: file.mode,
      last_complete_month: `${lastCompleteMonth(extractDate)}-01`,
    });
  }
  const [counts] = await db.query<Omit<Record<(typeof FILE_COUNTS)[number], number>, 'rows_read' | 'rows_withdrawn'>>(
    `ingest: count ${file.name}`,
    `select
        count(*)::double as rows_accepted,
        (select count(*) from classified where rule_id is not null)::double + (select count(*) from raw_malformed)::double as rows_rejected,
        count(*) filter (where status = 'inserted')::double as rows_inserted,
        count(*) filter (where status = 'replaced')::double as rows_replaced,
        count(*) filter (where status = 'unchanged')::double as rows_unchanged,
        count(*) filter (where status = 'stale')::double as rows_stale
     from incoming`,
  );
  const recorded = { ...counts!, rows_read: rowsRead, rows_withdrawn: withdrawn };
  await db.run(
    `ingest: record ${file.name}`,
    `insert into ingested_files values ($delivery_id, $extract_date::DATE, $file, $extract, $mode, $sha256,
        ${FILE_COUNTS.map((count) => `$${count}`).join(', ')}, $run_id)`,
    { ...version, file: file.name, extract: extract.name, mode: file.mode, sha256: file.sha256, ...recorded, run_id: runId },
  );
  logInfo(
    `  ${deliveryId}/${file.name}: ${rowsRead} read, ${recorded.rows_accepted} accepted ` +
      `(${recorded.rows_inserted} new, ${recorded.rows_replaced} replacing earlier versions, ${recorded.rows_unchanged} unchanged, ` +
      `${recorded.rows_stale} older than the version in force), ${recorded.rows_rejected} rejected` +
      (file.mode === 'full' ? `; full file: ${withdrawn} earlier rows withdrawn` : '') +
      ` (${Math.round(performance.now() - started)} ms)`,
    { event: 'file_loaded', delivery: deliveryId, file: file.name, counts: recorded, duration_ms: Math.round(performance.now() - started) },
  );
}
