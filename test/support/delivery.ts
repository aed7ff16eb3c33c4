/**
 * Test helpers: write small deliveries (CSV text per extract) with a correct
 * delivery.json, and open throwaway databases.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Database } from '../../src/db/database.js';
import { TEST_THREADS } from './threads.js';

export interface TestFile {
  name: string;
  extract: string;
  /** CSV text including the header line. */
  csv: string;
  /** Overrides the row count written to delivery.json. */
  rowCount?: number;
  /** delivery.json's `mode` for the file (left out when not given). */
  mode?: 'incremental' | 'full';
}

export function makeTempDir(prefix = 'ipslink-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeDelivery(
  landing: string,
  deliveryId: string,
  files: TestFile[],
  extractDate = '2021-06-30',
  coverage?: Record<string, { from: string; to: string }>,
): string {
  const dir = join(landing, deliveryId);
  mkdirSync(dir, { recursive: true });
  const listed = files.map((file) => {
    const bytes = file.name.endsWith('.gz') ? gzipSync(file.csv) : Buffer.from(file.csv);
    writeFileSync(join(dir, file.name), bytes);
    const dataRows = file.csv.split('\n').filter((line) => line.length > 0).length - 1;
    return {
      name: file.name,
      extract: file.extract,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      row_count: file.rowCount ?? dataRows,
      ...(file.mode ? { mode: file.mode } : {}),
    };
  });
  writeFileSync(
    join(dir, 'delivery.json'),
    JSON.stringify({ delivery_id: deliveryId, extract_date: extractDate, ...(coverage ? { coverage } : {}), files: listed }, null, 2),
  );
  return dir;
}

export async function withDatabase<T>(action: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(':memory:', { threads: TEST_THREADS });
  try {
    return await action(db);
  } finally {
    db.close();
  }
}
