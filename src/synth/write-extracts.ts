/**
 * Writes the four synthetic extract files of one delivery and describes them
 * for its delivery.json.
 *
 * Each extract is copied by DuckDB to gzipped CSV in the contract's column
 * order and in its explicit file order, under a `.partial` name so a crash
 * never leaves a file that looks finished; the caller renames. The sha256 is
 * taken in Node over the file as stored.
 * Grain in: synth_<extract>_file, one row per delivery x line.
 */
import { join } from 'node:path';
import type { DeliveryFile, FileMode } from '../contracts/delivery.js';
import { EXTRACTS, type ExtractName } from '../contracts/extracts.js';
import { type Database, quoteIdentifier } from '../db/database.js';
import { sha256OfFile } from '../ingest/delivery-manifest.js';

export interface WrittenExtract extends DeliveryFile {
  /** Bad rows planted in this file. */
  badRows: number;
}

export const PARTIAL_SUFFIX = '.partial';

/**
 * Writes delivery `deliveryNo`'s files into `outDir`; `modes` says which
 * extracts are `full` files (every other one is incremental).
 */
export async function writeExtractFiles(
  db: Database,
  outDir: string,
  deliveryNo: number,
  modes: Partial<Record<ExtractName, FileMode>> = {},
): Promise<WrittenExtract[]> {
  const written: WrittenExtract[] = [];
  for (const extract of EXTRACTS) {
    const name = `${extract.name}.csv.gz`;
    const partialPath = join(outDir, name + PARTIAL_SUFFIX);
    const table = quoteIdentifier(fileTable(extract.name));
    await db.run(
      `synth copy ${extract.name}`,
      `copy (select ${extract.columnNames.map(quoteIdentifier).join(', ')} from ${table}
             where delivery_no = $delivery_no order by file_order)
       to $path (format csv, header, delimiter ',', quote '"', compression gzip)`,
      { path: partialPath, delivery_no: deliveryNo },
    );
    const [counts] = await db.query<{ row_count: number; bad_rows: number }>(
      `synth count ${extract.name}`,
      `select count(*)::integer as row_count, count(bad_kind)::integer as bad_rows
       from ${table} where delivery_no = $delivery_no`,
      { delivery_no: deliveryNo },
    );
    written.push({
      name,
      extract: extract.name,
      sha256: await sha256OfFile(partialPath),
      row_count: counts?.row_count ?? 0,
      mode: modes[extract.name] ?? 'incremental',
      badRows: counts?.bad_rows ?? 0,
    });
  }
  return written;
}

function fileTable(extract: ExtractName): string {
  return `synth_${extract}_file`;
}
