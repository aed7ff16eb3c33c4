/**
 * Pruning old runs to the config's `retention`: the newest `keep` published
 * runs and the newest `keep_failed` failed_audit runs stay, and so does the
 * run `current` points at, however old (after a roll-back). A directory
 * without a manifest is not a run and is left alone.
 */
import { existsSync, readdirSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { StudyConfig } from '../config/study-config.js';
import { logInfo } from '../log.js';
import { type RunManifest, readManifest } from './manifest.js';

/** The run `<out>/current` points at, or null. */
export function currentRunId(outputDir: string): string | null {
  const current = join(outputDir, 'current');
  return existsSync(current) ? basename(realpathSync(current)) : null;
}

/** The manifests of the runs kept under `<out>/runs/`, oldest first (run ids start with their UTC start time). */
export function readRunManifests(outputDir: string): RunManifest[] {
  const runsDir = join(outputDir, 'runs');
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter((name) => !name.startsWith('.') && existsSync(join(runsDir, name, 'manifest.json')))
    .sort()
    .map((name) => readManifest(join(runsDir, name)));
}

/** Removes the runs past retention; returns their ids. */
export function pruneRuns(outputDir: string, retention: StudyConfig['retention']): string[] {
  const current = currentRunId(outputDir);
  const manifests = readRunManifests(outputDir).reverse();
  const surplus = (status: RunManifest['status'], keep: number) =>
    manifests
      .filter((manifest) => manifest.status === status)
      .slice(keep)
      .map((manifest) => manifest.run_id)
      .filter((id) => id !== current);
  const pruned = [...surplus('published', retention.keep), ...surplus('failed_audit', retention.keep_failed)].sort();
  for (const id of pruned) {
    // Renamed out of the listing first, so that a kill halfway leaves no half run under its id.
    const doomed = join(outputDir, 'runs', `.pruning-${id}`);
    renameSync(join(outputDir, 'runs', id), doomed);
    rmSync(doomed, { recursive: true, force: true });
    logInfo(`pruned run ${id} (retention)`, { event: 'run_pruned', pruned_run_id: id });
  }
  return pruned;
}
