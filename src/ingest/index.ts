/**
 * Ingest stage: verify deliveries, validate their rows in DuckDB and load
 * them into the warehouse, incrementally.
 *
 * A delivery is immutable: one already in the warehouse with the same sha256
 * is skipped (so a nightly rerun is idempotent); the same delivery id with a
 * different file is an error. Each new delivery loads in one transaction, so
 * a failure leaves the warehouse as it was. Per file, rows read = accepted +
 * rejected, and a delivery whose file does not hold `row_count` rows is
 * refused whole.
 */
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import type { Database } from '../db/database.js';
import { EXTRACTS, extractByName } from '../contracts/extracts.js';
import { fail } from '../errors.js';
import { logInfo } from '../log.js';
import { type Delivery, listDeliveryDirs, readDelivery, verifyDeliveryFiles } from './delivery-manifest.js';
import { classifyStagedSql, createAcceptedTableSql, insertAcceptedSql, insertRejectsSql } from './load-sql.js';
import { stageFile } from './stage-file.js';

export interface IngestOptions {
  landing: string;
  deliveries: 'all' | readonly string[];
  runId: string;
}

export interface IngestedFile {
  delivery_id: string;
  file: string;
  extract: string;
  sha256: string;
  rows_read: number;
  rows_accepted: number;
  rows_rejected: number;
}

export interface IngestReport {
  deliveryIds: string[];
  newDeliveryIds: string[];
  files: IngestedFile[];
}

export async function createWarehouseTables(db: Database): Promise<void> {
  await db.runFile('ingest/01_create_warehouse.sql');
  for (const extract of EXTRACTS) await db.run(`ingest: create ${extract.name}`, createAcceptedTableSql(extract));
}

export async function ingestDeliveries(db: Database, options: IngestOptions): Promise<IngestReport> {
  await createWarehouseTables(db);
  const names = options.deliveries === 'all' ? listDeliveryDirs(options.landing) : [...options.deliveries];
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
  const files = await db.query<IngestedFile>(
    'ingest: file counts',
    `select delivery_id, file, extract, sha256, rows_read::double as rows_read,
        rows_accepted::double as rows_accepted, rows_rejected::double as rows_rejected
     from ingested_files where list_contains($ids, delivery_id) order by delivery_id, file`,
    { ids: listValue(deliveryIds) },
  );
  return { deliveryIds, newDeliveryIds, files };
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
  return [...delivery.manifest.files].sort(
    (a, b) => order.indexOf(a.extract) - order.indexOf(b.extract) || a.name.localeCompare(b.name),
  );
}

async function loadDelivery(db: Database, delivery: Delivery, runId: string): Promise<void> {
  const { delivery_id: deliveryId, extract_date: extractDate } = delivery.manifest;
  await db.run('ingest: begin', 'begin transaction');
  try {
    for (const file of loadOrder(delivery)) {
      const extract = extractByName(file.extract)!;
      const started = performance.now();
      const { rowsRead } = await stageFile(db, {
        path: join(delivery.dir, file.name),
        deliveryId,
        fileName: file.name,
        extract,
      });
      if (rowsRead !== file.row_count) {
        fail({ code: 'row_count_mismatch', delivery: deliveryId, file: file.name, expected: file.row_count, actual: rowsRead });
      }
      await db.run(`ingest: classify ${file.name}`, classifyStagedSql(extract));
      await db.run(`ingest: accept ${file.name}`, insertAcceptedSql(extract), { delivery_id: deliveryId });
      await db.run(`ingest: reject ${file.name}`, insertRejectsSql(extract), {
        run_id: runId,
        delivery_id: deliveryId,
        file: file.name,
      });
      const [counts] = await db.query<{ accepted: number; rejected: number }>(
        `ingest: count ${file.name}`,
        `select count(*) filter (where rule_id is null)::double as accepted,
            (count(*) filter (where rule_id is not null) + (select count(*) from staged_malformed))::double as rejected
         from classified`,
      );
      await db.run(
        `ingest: record ${file.name}`,
        `insert into ingested_files values ($delivery_id, $extract_date::DATE, $file, $extract, $sha256, $rows_read, $rows_accepted, $rows_rejected, $run_id)`,
        {
          delivery_id: deliveryId,
          extract_date: extractDate,
          file: file.name,
          extract: extract.name,
          sha256: file.sha256,
          rows_read: rowsRead,
          rows_accepted: counts!.accepted,
          rows_rejected: counts!.rejected,
          run_id: runId,
        },
      );
      logInfo(
        `  ${deliveryId}/${file.name}: ${rowsRead} read, ${counts!.accepted} accepted, ${counts!.rejected} rejected ` +
          `(${Math.round(performance.now() - started)} ms)`,
      );
    }
    await db.run('ingest: commit', 'commit');
  } catch (error) {
    await db.run('ingest: rollback', 'rollback');
    throw error;
  }
}
