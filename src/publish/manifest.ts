/**
 * manifest.json (DESIGN §5): what a published run records about itself. The
 * one type every writer and reader of the file uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyConfig } from '../config/study-config.js';
import { fail } from '../errors.js';
import type { IngestedFile } from '../ingest/index.js';
import type { Audit } from '../run/audit.js';
import type { BalanceGate } from '../run/balance-gate.js';
import type { RunFingerprint } from '../run/fingerprint.js';
import type { StageReport } from '../stage.js';

export interface OutputFile {
  path: string;
  sha256: string;
  /** Rows of a Parquet file; null for other files. */
  rows: number | null;
}

export interface RunManifest {
  run_id: string;
  /** 'published' (the audit passed; `current` moved here), or 'failed_audit' (kept for inspection, never current). */
  status: 'published' | 'failed_audit';
  study: string;
  config: { file: string; sha256: string; settings: StudyConfig };
  config_warnings: string[];
  code_version: string;
  started_at: string;
  finished_at: string;
  inputs: IngestedFile[];
  stages: StageReport[];
  balance_gate: BalanceGate;
  /** What the results depend on; a later run with the same fingerprint is a no-op. */
  fingerprint: RunFingerprint;
  /** Data quality, balance gate and disclosure, checked before publishing. */
  audit: Audit;
  outputs: OutputFile[];
  /** resources: as resolved (src/config/resources.ts), and the process's peak resident memory when the run was kept. */
  resources: {
    memory_limit_bytes: number;
    memory_limit_from: 'config' | 'machine';
    duckdb_memory_limit: string;
    threads: number;
    peak_rss_bytes: number;
  };
}

/** Reads the manifest of the run in `runDir`; a directory without one is not a published run. */
export function readManifest(runDir: string): RunManifest {
  const path = join(runDir, 'manifest.json');
  if (!existsSync(path)) fail({ code: 'run_not_found', dir: runDir });
  return JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
}
