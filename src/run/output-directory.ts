/**
 * The output directory, checked and made owner-only before a run or a
 * validation opens the warehouse in it.
 *
 * warehouse.duckdb, its WAL and history.jsonl must be regular files,
 * runs/ and .tmp/ (DuckDB's spill directory) real directories, and current
 * a symbolic link to a run under runs/, or absent. A symbolic link in their
 * place would have ipslink write person-level data wherever it points, so
 * anything else is refused before a byte is written. The output directory
 * itself may be a link (an operator's mount point). Modes: src/file-modes.ts.
 */
import { lstatSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fail } from '../errors.js';
import { ensurePrivateDir } from '../file-modes.js';

export const WAREHOUSE_FILE = 'warehouse.duckdb';
/** DuckDB's spill directory (temp_directory). */
export const SPILL_DIRECTORY = '.tmp';

type Expected = 'regular file' | 'directory' | 'run link';

const OUTPUT_ENTRIES: Readonly<Record<string, Expected>> = {
  [WAREHOUSE_FILE]: 'regular file',
  [`${WAREHOUSE_FILE}.wal`]: 'regular file',
  'history.jsonl': 'regular file',
  runs: 'directory',
  [SPILL_DIRECTORY]: 'directory',
  current: 'run link',
};

const EXPECTED_TEXT: Readonly<Record<Expected, string>> = {
  'regular file': 'a regular file',
  directory: 'a directory',
  'run link': 'a symbolic link to a run under runs/',
};

/** Refuses an output directory whose entries are not what ipslink wrote there (see the header). */
export function checkOutputDirectory(output: string): void {
  const outputStats = statOrUndefined(output, statSync);
  if (outputStats === undefined) return;
  if (!outputStats.isDirectory()) refuse(output, describeKind(outputStats), 'a directory');
  for (const [name, expected] of Object.entries(OUTPUT_ENTRIES)) {
    const path = join(output, name);
    const stats = statOrUndefined(path, lstatSync);
    if (stats === undefined) continue;
    const found = describeKind(stats);
    if (expected === 'regular file' && !stats.isFile()) refuse(path, found, EXPECTED_TEXT[expected]);
    if (expected === 'directory' && !stats.isDirectory()) refuse(path, found, EXPECTED_TEXT[expected]);
    if (expected === 'run link') {
      if (!stats.isSymbolicLink()) refuse(path, found, EXPECTED_TEXT[expected]);
      const isIntoRuns = dirname(resolve(output, readlinkSync(path))) === resolve(output, 'runs');
      if (!isIntoRuns) refuse(path, 'a symbolic link to outside runs/', EXPECTED_TEXT[expected]);
    }
  }
}

/** Checks the output directory, then creates it and its spill directory owner-only (0700). */
export function prepareOutputDirectory(output: string): void {
  checkOutputDirectory(output);
  ensurePrivateDir(output);
  ensurePrivateDir(join(output, SPILL_DIRECTORY));
}

function refuse(path: string, found: string, expected: string): never {
  fail({ code: 'output_path_unsafe', path, found, expected });
}

function describeKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFile()) return 'a regular file';
  return 'a special file (device, FIFO or socket)';
}

function statOrUndefined(path: string, stat: typeof lstatSync): Stats | undefined {
  try {
    return stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
