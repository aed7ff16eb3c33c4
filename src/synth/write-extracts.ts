/**
 * Writes the synthetic extract files of one delivery (every extract, or
 * every one but the optional healthcare_costs) and describes them for its
 * delivery.json.
 *
 * An extract file is its clean rows as delivered, in the order of their row
 * number, then the bad copies in the order of the rows they copy (null =
 * empty field). Each part is copied by DuckDB to plain CSV: the clean rows
 * from their typed columns in the contract's order (DuckDB's CSV writer
 * renders dates as YYYY-MM-DD and DECIMAL(18, 2) amounts with 2 decimals,
 * as a cast to text does), the bad copies from their text; sorting the
 * typed rows alone cost about a third less than sorting the two kinds as
 * text into one order, and the payroll and healthcare-cost rows, stored in
 * file order, are copied without a sort (CleanRows.storedInOrder). The
 * parts are gzipped one after the other by Node's zlib at level 1 into a
 * `.partial` name, so a crash never leaves a file that looks finished; the
 * caller renames. DuckDB's own gzip took 6 times as long as its CSV writer
 * (miniz at about 26 MB/s on one thread); zlib at level 1 runs at about 125
 * MB/s in libuv's thread pool and its files are 11% larger than DuckDB's.
 * The files are written side by side, one connection per core, so one
 * file's compression overlaps another's CSV; each file's bytes do not
 * depend on it (they do on Node's zlib version).
 * The sha256 is taken in Node over the gzipped bytes as they are written,
 * not by reading the file back.
 * Grain in: synth_delivered_<entity> (one row per delivery x clean row,
 * sql/synth/10 and 11) and synth_<extract>_bad_row (one row per bad line,
 * sql/synth/14..18).
 */
import { createHash } from 'node:crypto';
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

export interface WrittenExtract extends DeliveryFile {
  /** Bad rows planted in this file. */
  badRows: number;
}

export const PARTIAL_SUFFIX = '.partial';
/** zlib's fastest level: synthetic files are written once per world and read at the same speed as denser ones. */
const GZIP_LEVEL = 1;
/**
 * Bytes read from a part and handed out by zlib at a time: with zlib's own 16 KiB output chunks, gzipping 600 MB of
 * payroll CSV took 6.5 s (6.9 s of CPU), with 1 MiB 5.3 s (5.6 s), the same bytes.
 */
const GZIP_CHUNK_BYTES = 1 << 20;

interface CleanRows {
  table: string;
  /** The column numbering the rows: their order in the file. */
  rowNo: string;
  /**
   * Each delivery's rows are stored in rowNo order, which a COPY of one table's filtered rows keeps (DuckDB's
   * order preservation): written without a sort. The payroll rows (sql/synth/05, 06, 10; a view that scans one
   * table through projections, an unnest and filters, which keep the order too): sorting delivery 1's 14 M at
   * 1,000,000 persons took about 4 of its COPY's 11 s of CPU; the healthcare costs (sql/synth/11).
   */
  storedInOrder?: true;
}

/** Per extract, the table (or view) of its clean rows as delivered and the column numbering them. */
const CLEAN_ROWS: Record<ExtractName, CleanRows> = {
  persons: { table: 'synth_delivered_person', rowNo: 'person_no' },
  benefit_spells: { table: 'synth_delivered_spell', rowNo: 'spell_no' },
  employment_periods: { table: 'synth_delivered_period', rowNo: 'period_key', storedInOrder: true },
  trajectories: { table: 'synth_delivered_trajectory', rowNo: 'trajectory_no' },
  healthcare_costs: { table: 'synth_delivered_healthcare_cost', rowNo: 'cost_row_no', storedInOrder: true },
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
          const parts = [`${extract.name}.csv`, `${extract.name}.bad.csv`].map((part) => join(outDir, part + PARTIAL_SUFFIX));
          let sha256: string;
          try {
            const { table, rowNo, storedInOrder } = cleanRows(extract);
            const columns = extract.columnNames.map(quoteIdentifier).join(', ');
            const csv = `format csv, delimiter ',', quote '"'`;
            const order = storedInOrder ? '' : `order by ${quoteIdentifier(rowNo)}`;
            await lane.run(
              `synth copy ${extract.name}`,
              `copy (select ${columns} from ${quoteIdentifier(table)} where delivery_no = $delivery_no ${order})
               to $path (${csv}, header)`,
              { path: parts[0]!, delivery_no: deliveryNo },
            );
            await lane.run(
              `synth copy ${extract.name} bad rows`,
              `copy (select ${columns} from ${quoteIdentifier(badRowTable(extract))} where delivery_no = $delivery_no order by file_order)
               to $path (${csv}, header false)`,
              { path: parts[1]!, delivery_no: deliveryNo },
            );
            sha256 = await gzipFiles(parts, partialPath);
          } finally {
            for (const part of parts) await rm(part, { force: true });
          }
          written.set(extract.name, {
            name,
            extract: extract.name,
            sha256,
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

/** Gzips the files `from`, one after the other, into one stream `to`; returns the sha256 of the bytes written. */
async function gzipFiles(from: readonly string[], to: string): Promise<string> {
  async function* concatenated() {
    for (const file of from) yield* createReadStream(file, { highWaterMark: GZIP_CHUNK_BYTES });
  }
  const hash = createHash('sha256');
  async function* hashed(compressed: AsyncIterable<Buffer>) {
    for await (const chunk of compressed) {
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(concatenated, createGzip({ level: GZIP_LEVEL, chunkSize: GZIP_CHUNK_BYTES }), hashed, createWriteStream(to));
  return hash.digest('hex');
}

/** The lines and bad lines of one extract's file in delivery `deliveryNo`. */
async function countFileLines(db: Database, deliveryNo: number, extract: Extract) {
  const [counts] = await db.query<{ clean_rows: number; bad_rows: number }>(
    `synth count ${extract.name}`,
    `select
         (select count(*) from ${quoteIdentifier(cleanRows(extract).table)} where delivery_no = $delivery_no)::integer as clean_rows,
         (select count(*) from ${quoteIdentifier(badRowTable(extract))} where delivery_no = $delivery_no)::integer as bad_rows`,
    { delivery_no: deliveryNo },
  );
  const { clean_rows = 0, bad_rows = 0 } = counts ?? {};
  return { extract, counts: { row_count: clean_rows + bad_rows, bad_rows } };
}

/** The table of an extract's clean rows as delivered (one row per delivery x row), and the column that orders them. */
function cleanRows(extract: Extract): CleanRows {
  const clean = CLEAN_ROWS[extract.name];
  if (!clean) throw new Error(`synth: no clean rows for extract ${extract.name}`);
  return clean;
}

/** The table of an extract's bad copies, their columns as text (sql/synth/14..18). */
function badRowTable(extract: Extract): string {
  return `synth_${extract.name}_bad_row`;
}
