/**
 * Writes the four synthetic extract files and describes them for delivery.json.
 *
 * Each extract is copied by DuckDB to gzipped CSV in the contract's column
 * order and in its explicit file order, under a `.partial` name so a crash
 * never leaves a file that looks finished; the caller renames. The sha256 is
 * taken in Node over the file as stored.
 * Grain in: synth_<extract>_file, one row per line.
 */
import { join } from 'node:path';
import type { DeliveryFile } from '../contracts/delivery.js';
import { EXTRACTS, type ExtractName } from '../contracts/extracts.js';
import { type Database, quoteIdentifier } from '../db/database.js';
import { sha256OfFile } from '../ingest/delivery-manifest.js';

export interface WrittenExtract extends DeliveryFile {
  /** Bad rows planted in this file. */
  badRows: number;
}

export const PARTIAL_SUFFIX = '.partial';

export async function writeExtractFiles(db: Database, outDir: string): Promise<WrittenExtract[]> {
  const written: WrittenExtract[] = [];
  for (const extract of EXTRACTS) {
    const name = `${extract.name}.csv.gz`;
    const partialPath = join(outDir, name + PARTIAL_SUFFIX);
    const table = quoteIdentifier(fileTable(extract.name));
    await db.run(
      `synth copy ${extract.name}`,
      `copy (select ${extract.columnNames.map(quoteIdentifier).join(', ')} from ${table} order by file_order)
       to $path (format csv, header, delimiter ',', quote '"', compression gzip)`,
      { path: partialPath },
    );
    const [counts] = await db.query<{ row_count: number; bad_rows: number }>(
      `synth count ${extract.name}`,
      `select count(*)::integer as row_count, count(bad_kind)::integer as bad_rows from ${table}`,
    );
    written.push({
      name,
      extract: extract.name,
      sha256: await sha256OfFile(partialPath),
      row_count: counts?.row_count ?? 0,
      badRows: counts?.bad_rows ?? 0,
    });
  }
  return written;
}

function fileTable(extract: ExtractName): string {
  return `synth_${extract}_file`;
}

