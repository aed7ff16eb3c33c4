/**
 * Writes the synthetic extract files of one delivery (every extract, or
 * every one but the optional healthcare_costs) and describes them for its
 * delivery.json.
 *
 * An extract file is its clean rows as delivered, every contract column
 * rendered as text (dates YYYY-MM-DD, amounts with 2 decimals, null = empty
 * field), each followed by its bad copy if it has one: file_order is the
 * clean row's number x 2, + 1 for the copy. Each extract is copied by DuckDB
 * to plain CSV in the contract's column order and in that file order, then
 * gzipped by Node's zlib at level 1 into a `.partial` name, so a crash never
 * leaves a file that looks finished; the caller renames. DuckDB's own gzip
 * took 6 times as long as its CSV writer (miniz at about 26 MB/s on one
 * thread); zlib at level 1 runs at about 125 MB/s in libuv's thread pool and
 * its files are 11% larger than DuckDB's. The files are written side by side,
 * one connection per core, so one file's compression overlaps another's CSV;
 * each file's bytes do not depend on it (they do on Node's zlib version).
 * The sha256 is taken in Node over the file as stored.
 * Grain in: synth_delivered_<entity> (one row per delivery x clean row,
 * sql/synth/10 and 11) and synth_<extract>_bad_row (one row per bad line,
 * sql/synth/13..17).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Extract } from '../contracts/define-extract.js';
import type { DeliveryFile, FileMode } from '../contracts/delivery.js';
import { EXTRACTS, type ExtractName } from '../contracts/extracts.js';
import { type Database, quoteIdentifier } from '../db/database.js';
import { sha256OfFile } from '../ingest/delivery-manifest.js';

export interface WrittenExtract extends DeliveryFile {
  /** Bad rows planted in this file. */
  badRows: number;
}

export const PARTIAL_SUFFIX = '.partial';
/** zlib's fastest level: synthetic files are written once per world and read at the same speed as denser ones. */
const GZIP_LEVEL = 1;
const GZIP_READ_BYTES = 1 << 20;

/** Per extract, the table of its clean rows as delivered and the column numbering them. */
const CLEAN_ROWS: Record<ExtractName, { table: string; rowNo: string }> = {
  persons: { table: 'synth_delivered_person', rowNo: 'person_no' },
  benefit_spells: { table: 'synth_delivered_spell', rowNo: 'spell_no' },
  employment_periods: { table: 'synth_delivered_period', rowNo: 'period_key' },
  trajectories: { table: 'synth_delivered_trajectory', rowNo: 'trajectory_no' },
  healthcare_costs: { table: 'synth_delivered_healthcare_cost', rowNo: 'cost_row_no' },
};

/**
 * Writes delivery `deliveryNo`'s files of `extracts` (default: every one)
 * into `outDir`; `modes` says which extracts are `full` files (every other
 * one is incremental).
 */
export async function writeExtractFiles(
  db: Database,
  outDir: string,
  deliveryNo: number,
  modes: Partial<Record<ExtractName, FileMode>> = {},
  extracts: readonly Extract[] = EXTRACTS,
): Promise<WrittenExtract[]> {
  // own connections: the caller may write several deliveries at once
  const lanes = await Promise.all(Array.from({ length: Math.min(availableParallelism(), extracts.length) }, () => db.sibling()));
  const written = new Map<ExtractName, WrittenExtract>();
  try {
    const files = [];
    for (const extract of extracts) files.push(await countFileLines(lanes[0]!, deliveryNo, extract));
    // the largest files first, so the last to start is a small one
    const queue = files.sort((a, b) => b.counts.row_count - a.counts.row_count);
    await Promise.all(
      lanes.map(async (lane) => {
        for (let file = queue.shift(); file; file = queue.shift()) {
          const { extract, counts } = file;
          const name = `${extract.name}.csv.gz`;
          const partialPath = join(outDir, name + PARTIAL_SUFFIX);
          const plainPath = join(outDir, `${extract.name}.csv${PARTIAL_SUFFIX}`);
          try {
            await lane.run(
              `synth copy ${extract.name}`,
              `copy (select ${extract.columnNames.map(quoteIdentifier).join(', ')} from (${fileLinesSql(extract)})
                     where delivery_no = $delivery_no order by file_order)
               to $path (format csv, header, delimiter ',', quote '"')`,
              { path: plainPath, delivery_no: deliveryNo },
            );
            await gzipFile(plainPath, partialPath);
          } finally {
            await rm(plainPath, { force: true });
          }
          written.set(extract.name, {
            name,
            extract: extract.name,
            sha256: await sha256OfFile(partialPath),
            row_count: counts.row_count,
            mode: modes[extract.name] ?? 'incremental',
            badRows: counts.bad_rows,
          });
        }
      }),
    );
  } finally {
    for (const lane of lanes) lane.close();
  }
  return extracts.map((extract) => written.get(extract.name)!);
}

async function gzipFile(from: string, to: string): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: GZIP_READ_BYTES }), createGzip({ level: GZIP_LEVEL }), createWriteStream(to));
}

/** The lines and bad lines of one extract's file in delivery `deliveryNo`. */
async function countFileLines(db: Database, deliveryNo: number, extract: Extract) {
  const [counts] = await db.query<{ row_count: number; bad_rows: number }>(
    `synth count ${extract.name}`,
    `select count(*)::integer as row_count, count(bad_kind)::integer as bad_rows
     from (${fileLinesSql(extract)}) where delivery_no = $delivery_no`,
    { delivery_no: deliveryNo },
  );
  return { extract, counts: counts ?? { row_count: 0, bad_rows: 0 } };
}

/** The lines of an extract file, of every delivery: delivery_no, file_order, bad_kind (null: clean) and the columns as text. */
function fileLinesSql(extract: Extract): string {
  const clean = CLEAN_ROWS[extract.name];
  if (!clean) throw new Error(`synth: no clean rows for extract ${extract.name}`);
  const { table, rowNo } = clean;
  const columns = extract.columnNames.map(quoteIdentifier);
  return `select delivery_no, ${quoteIdentifier(rowNo)} * 2 as file_order, null::varchar as bad_kind,
            ${columns.map((column) => `${column}::varchar as ${column}`).join(', ')}
          from ${quoteIdentifier(table)}
          union all
          select delivery_no, file_order, bad_kind, ${columns.join(', ')}
          from ${quoteIdentifier(`synth_${extract.name}_bad_row`)}`;
}
