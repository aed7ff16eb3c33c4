/**
 * The run history: `<out>/history.jsonl`, one JSON line per run that got
 * past opening the warehouse: published, failed_audit (kept under runs/ for
 * inspection), no_op (nothing new; no run directory) or failed (an error
 * stopped it before the audit). Lines are only appended, under the
 * warehouse lock; a run killed by the system leaves no line. `ipslink runs`
 * and `status` read it, and a run compares its fingerprint with the last
 * staged run's to decide whether anything changed.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivate, PRIVATE_FILE_MODE } from '../file-modes.js';
import type { AuditGate } from './audit.js';
import type { RunFingerprint } from './fingerprint.js';

export type RunStatus = 'published' | 'failed_audit' | 'no_op' | 'failed';

export interface RunRecord {
  run_id: string;
  status: RunStatus;
  started_at: string;
  finished_at: string;
  duration_ms: number;
  /** Absent when the run failed before its inputs were known (a pull that could not reach its source). */
  fingerprint?: RunFingerprint;
  exit_code: number;
  /** no_op: the staged run whose fingerprint it matched. */
  same_as?: string;
  /** failed_audit: the gate that failed; failed: the error code. */
  failed_gate?: AuditGate;
  error_code?: string;
  /** Rows read, accepted and rejected over every loaded delivery; cohort and matched persons per arm. */
  counts?: Record<string, number>;
}

export function historyPath(output: string): string {
  return join(output, 'history.jsonl');
}

/** Appends a line; the file is owner-only (it holds no person data, but names runs and counts). */
export function appendRunRecord(output: string, record: RunRecord): void {
  const path = historyPath(output);
  appendFileSync(path, `${JSON.stringify(record)}\n`, { mode: PRIVATE_FILE_MODE });
  makePrivate(path);
}

/** Every record, oldest first; a torn last line (a full disk) is skipped. */
export function readRunHistory(output: string): RunRecord[] {
  const path = historyPath(output);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as RunRecord];
      } catch {
        return [];
      }
    });
}

/** The last run that reached the audit (published or failed_audit): what a new run is compared with. */
export function lastStagedRun(history: readonly RunRecord[]): RunRecord | undefined {
  return [...history].reverse().find((record) => record.status === 'published' || record.status === 'failed_audit');
}
