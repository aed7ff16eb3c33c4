/**
 * Test helpers for hostile deliveries: write a delivery whose files hold
 * given bytes (not gzip when named .gz, truncated, no newline), with a
 * delivery.json that states their true sha256, so that what is refused is
 * the content, never the checksum.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDelivery } from '../support/delivery.js';

/** Replaces a delivered file's bytes and states their sha256 (and, if given, a row count) in delivery.json. */
export function rewriteFile(dir: string, name: string, bytes: Buffer, rowCount?: number): void {
  writeFileSync(join(dir, name), bytes);
  const manifestPath = join(dir, 'delivery.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: { name: string; sha256: string; row_count: number }[] };
  const file = manifest.files.find((listed) => listed.name === name)!;
  file.sha256 = createHash('sha256').update(bytes).digest('hex');
  if (rowCount !== undefined) file.row_count = rowCount;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
}

/** A delivery `deliveryId` in `landing` with one persons file holding `bytes`, stating `rowCount` rows. */
export function writePersonsBytes(landing: string, deliveryId: string, name: string, bytes: Buffer, rowCount: number): string {
  const dir = writeDelivery(landing, deliveryId, [{ name, extract: 'persons', csv: 'person_id,birth_year,sex,region\n' }]);
  rewriteFile(dir, name, bytes, rowCount);
  return dir;
}
