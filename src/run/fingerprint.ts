/**
 * What a run's results depend on, so that a nightly run with nothing new can
 * stop in seconds: the deliveries it would load (each delivery.json, which
 * holds every file's sha256, and the name, size and modification time of
 * every file beside it, so that a file replaced or damaged since is noticed
 * without hashing gigabytes), the config's sha256, and the code (its
 * version and a sha256 over the sources and SQL that compute results).
 * Stored in the manifest and the run history; `run --force` recomputes
 * regardless.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readManifestBytes, selectedDeliveries } from '../ingest/delivery-manifest.js';
import { CODE_ROOT, PACKAGE_ROOT } from '../package-root.js';

export interface RunFingerprint {
  /** The delivery directories the run loads, in load order. */
  deliveries: string[];
  /** sha256 over each of those delivery names, its delivery.json and the name, size and mtime (to the second: copies keep no finer) of each of its files. */
  deliveries_sha256: string;
  config_sha256: string;
  /** package version + git commit, for people. */
  code_version: string;
  /** sha256 over the files under src/, sql/ and pipelines/ (dist/src/ and dist/pipelines/ when the build runs) and package-lock.json: what decides "the code changed". */
  code_sha256: string;
}

const ROOT = PACKAGE_ROOT;
// The code that runs (the sources, or their build under dist/: hashing the build keeps runs of one build equal) and what it reads.
const CODE_PATHS = [
  join(CODE_ROOT, 'src'),
  join(CODE_ROOT, 'pipelines'),
  join(PACKAGE_ROOT, 'sql'),
  join(PACKAGE_ROOT, 'package-lock.json'),
];

export function codeVersion(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    return `${version}+${commit}`;
  } catch {
    return version;
  }
}

function codeFiles(): string[] {
  return CODE_PATHS.filter((path) => existsSync(path))
    .flatMap((path) =>
      path.endsWith('.json')
        ? [path]
        : readdirSync(path, { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => join(entry.parentPath, entry.name)),
    )
    .sort();
}

let codeSha256: string | undefined;

function hashCode(): string {
  if (codeSha256) return codeSha256;
  const hash = createHash('sha256');
  for (const path of codeFiles())
    hash
      .update(`${relative(ROOT, path)}\0`)
      .update(readFileSync(path))
      .update('\0');
  codeSha256 = hash.digest('hex');
  return codeSha256;
}

export function runFingerprint(landing: string, selection: 'all' | readonly string[], configSha256: string): RunFingerprint {
  const deliveries = selectedDeliveries(landing, selection);
  const hash = createHash('sha256');
  for (const name of deliveries) {
    const dir = join(landing, name);
    // Read as ingest reads it: never through a link, never blocking on a FIFO.
    hash
      .update(`${name}\0`)
      .update(readManifestBytes(landing, name) ?? 'missing')
      .update('\0');
    for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
      const stats = lstatSync(join(dir, file));
      hash.update(`${file}\0${stats.size}\0${Math.round(stats.mtimeMs / 1000)}\0`);
    }
  }
  return {
    deliveries,
    deliveries_sha256: hash.digest('hex'),
    config_sha256: configSha256,
    code_version: codeVersion(),
    code_sha256: hashCode(),
  };
}

/** Whether two fingerprints describe the same inputs, config and code. */
export function sameFingerprint(a: RunFingerprint, b: RunFingerprint | undefined): boolean {
  return (
    b !== undefined && a.deliveries_sha256 === b.deliveries_sha256 && a.config_sha256 === b.config_sha256 && a.code_sha256 === b.code_sha256
  );
}

/** What differs between two fingerprints, in words, for the log. */
export function fingerprintChanges(a: RunFingerprint, b: RunFingerprint | undefined): string[] {
  if (!b) return ['no earlier run'];
  const changes: string[] = [];
  const added = a.deliveries.filter((name) => !b.deliveries.includes(name));
  if (added.length) changes.push(`new deliveries ${added.join(', ')}`);
  else if (a.deliveries_sha256 !== b.deliveries_sha256) changes.push('deliveries changed');
  if (a.config_sha256 !== b.config_sha256) changes.push('config changed');
  if (a.code_sha256 !== b.code_sha256) changes.push('code changed');
  return changes;
}
