/**
 * Owner-only files for person-level data (issue 12), whatever the umask.
 *
 * Under the output directory everything is owner-only (directories 0700,
 * files 0600): the warehouse and its WAL, DuckDB's spill directory, the run
 * history, runs/ and every run directory with its restricted/ and
 * manifest.json. The one exception is a run's export/ (0755/0644): it holds
 * only disclosure-controlled aggregates meant to leave the secure area, so
 * a copy a data steward makes of it (cp, rsync) stays readable for the
 * people it is handed to. The run directories above it stay 0700, so no
 * other account reaches export/ in place. A delivery `ipslink pull` places
 * in the landing directory is owner-only too.
 *
 * A mode given to mkdir or open is masked by the umask, so every mode here
 * is set by chmod after creating. What DuckDB creates on its own (the
 * warehouse, its WAL, spill files, the Parquet of COPY) is created while
 * the process umask is tightened (holdOwnerOnlyUmask) and chmodded after,
 * where it is known. Symbolic links are never followed: chmod would change
 * their target.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMainThread } from 'node:worker_threads';

export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** A run's export/: aggregates after disclosure control only (see above). */
export const EXPORT_DIRECTORY_MODE = 0o755;
export const EXPORT_FILE_MODE = 0o644;

/** The bits a tightened umask removes: everything for group and others. */
const GROUP_AND_OTHERS = 0o077;

/** Creates `path` (and missing parents) as owner-only directories; an existing `path` is made owner-only too. */
export function ensurePrivateDir(path: string): void {
  const target = resolve(path);
  const firstCreated = mkdirSync(target, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
  // Recursive mkdir returns the topmost directory it created; those between it and the target are new as well.
  let dir = target;
  if (firstCreated !== undefined) {
    const top = resolve(firstCreated);
    for (; dir !== top && dir !== dirname(dir); dir = dirname(dir)) chmodSync(dir, PRIVATE_DIRECTORY_MODE);
  }
  chmodSync(dir, PRIVATE_DIRECTORY_MODE);
}

/**
 * Makes a file, or a directory and everything under it, owner-only
 * (0700/0600), except the paths in `except` and what is under them.
 * Symbolic links are left as they are; a path that does not exist (a WAL
 * between checkpoints) is skipped.
 */
export function makePrivate(path: string, options: { except?: readonly string[] } = {}): void {
  setTreeModes(path, PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE, new Set((options.except ?? []).map((item) => resolve(item))));
}

/** Makes a run's export/ and everything under it readable by others (0755/0644); see the header for why. */
export function makeExportReadable(path: string): void {
  setTreeModes(path, EXPORT_DIRECTORY_MODE, EXPORT_FILE_MODE, new Set());
}

function setTreeModes(path: string, directoryMode: number, fileMode: number, except: ReadonlySet<string>): void {
  if (except.has(resolve(path))) return;
  let isDirectory: boolean;
  try {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return;
    isDirectory = stats.isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isDirectory) {
    chmodSync(path, fileMode);
    return;
  }
  // The directory first: while its contents are changed, no one else can enter it.
  chmodSync(path, directoryMode);
  for (const name of readdirSync(path)) setTreeModes(join(path, name), directoryMode, fileMode, except);
}

/**
 * Tightens the process umask so that whatever is created until the returned
 * function is called is at most owner-readable: for files DuckDB creates at
 * any time (the WAL after a checkpoint, spill files). In a worker thread,
 * where the umask cannot be changed, it changes nothing; the chmods and the
 * owner-only directories around the files still hold.
 */
export function holdOwnerOnlyUmask(): () => void {
  if (!isMainThread) return () => {};
  const previous = process.umask(GROUP_AND_OTHERS);
  process.umask(previous | GROUP_AND_OTHERS);
  return () => {
    process.umask(previous);
  };
}
