/**
 * Finds deliveries in a landing directory and verifies them against their
 * `delivery.json` before anything is loaded: every listed file present, no
 * unlisted extract file, sha256 as stated. Row counts are checked while
 * loading (they need the parsed file).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DeliveryManifest, deliveryManifest } from '../contracts/delivery.js';
import { fail } from '../errors.js';

export interface Delivery {
  dir: string;
  manifest: DeliveryManifest;
}

const EXTRACT_FILE = /\.(csv|csv\.gz|parquet)$/;

/** Delivery directories in the landing directory, in name order. */
export function listDeliveryDirs(landing: string): string[] {
  if (!existsSync(landing)) return [];
  return readdirSync(landing)
    .filter((name) => !name.startsWith('.') && statSync(join(landing, name)).isDirectory())
    .sort();
}

/** The delivery directories a run loads: every one in the landing directory, or the config's list. */
export function selectedDeliveries(landing: string, selection: 'all' | readonly string[]): string[] {
  return selection === 'all' ? listDeliveryDirs(landing) : [...selection];
}

export function readDelivery(landing: string, name: string): Delivery {
  const dir = join(landing, name);
  const manifestPath = join(dir, 'delivery.json');
  if (!existsSync(manifestPath)) fail({ code: 'delivery_not_found', landing, delivery: name });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch {
    fail({ code: 'delivery_manifest_invalid', delivery: name, problems: 'not valid JSON' });
  }
  const parsed = deliveryManifest.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    fail({ code: 'delivery_manifest_invalid', delivery: name, problems: problems.join('; ') });
  }
  return { dir, manifest: parsed.data };
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Throws on a missing, unlisted or changed file. */
export async function verifyDeliveryFiles(delivery: Delivery): Promise<void> {
  const { delivery_id: id, files } = delivery.manifest;
  const listed = new Set(files.map((file) => file.name));
  for (const name of readdirSync(delivery.dir).sort()) {
    if (EXTRACT_FILE.test(name) && !listed.has(name)) fail({ code: 'delivery_file_unlisted', delivery: id, file: name });
  }
  for (const file of files) {
    const path = join(delivery.dir, file.name);
    if (!existsSync(path)) fail({ code: 'delivery_file_missing', delivery: id, file: file.name });
    const actual = await sha256OfFile(path);
    if (actual !== file.sha256) {
      fail({ code: 'checksum_mismatch', delivery: id, file: file.name, expected: file.sha256, actual });
    }
  }
}
