/**
 * Opens delivered files so that a file stays inside its delivery: regular
 * files only, checked with lstat (a link is never followed), opened with
 * O_NOFOLLOW and O_NONBLOCK (a FIFO swapped in after the check cannot hang
 * the open), the open file's dev/ino compared with the lstat, and its real
 * path inside the delivery directory's.
 *
 * DuckDB reads a file by path, so right before it does `checkUnchanged`
 * compares the path's lstat with the identity taken when the file was
 * scanned: best effort, it narrows the window in which a swapped file could
 * be read but cannot close it.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { type EntryKind, fail } from '../errors.js';

/** Read-only, no link as the last component, and no blocking open of a FIFO. */
export const SAFE_READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** What a file was when it was checked: a different one at the same path has another dev/ino, size or mtime. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

export interface DeliveryFileRef {
  /** The delivery directory. */
  dir: string;
  /** The delivery id (or directory name) errors name. */
  delivery: string;
  /** The file's name inside the delivery directory. */
  file: string;
}

export function entryKind(stats: Stats): EntryKind {
  if (stats.isFile()) return 'regular file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symbolic link';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  return 'unknown';
}

export function identityOf(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs };
}

function isSameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/** The lstat of a path, or null when nothing is there. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw error;
  }
}

/** Opens a delivered file for reading: refused unless it is a regular file inside the delivery directory. */
export async function openDeliveryFile(ref: DeliveryFileRef): Promise<{ handle: FileHandle; identity: FileIdentity }> {
  const path = join(ref.dir, ref.file);
  const { delivery, file } = ref;
  const stats = await lstat(path).catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') fail({ code: 'delivery_file_missing', delivery, file });
    fail({ code: 'file_unreadable', delivery, file, reason: `lstat failed (${errorCode(error)})` });
  });
  if (!stats.isFile()) fail({ code: 'delivery_entry_not_regular', delivery, file, found: entryKind(stats) });
  const [realDir, realFile] = await Promise.all([realpath(ref.dir), realpath(path)]).catch((error: unknown) =>
    fail({ code: 'file_unreadable', delivery, file, reason: `realpath failed (${errorCode(error)})` }),
  );
  if (!realFile.startsWith(`${realDir}${sep}`)) fail({ code: 'delivery_file_outside', delivery, file });
  const handle = await open(path, SAFE_READ_FLAGS).catch((error: unknown) => {
    if (errorCode(error) === 'ELOOP') fail({ code: 'delivery_entry_not_regular', delivery, file, found: 'symbolic link' });
    fail({ code: 'file_unreadable', delivery, file, reason: `open failed (${errorCode(error)})` });
  });
  const opened = await handle.stat();
  if (!opened.isFile() || !isSameFile(identityOf(opened), identityOf(stats))) {
    await handle.close();
    fail({ code: 'delivery_file_replaced', delivery, file });
  }
  return { handle, identity: identityOf(stats) };
}

/** Right before DuckDB reads the file by path: still the regular file that was scanned? (best effort) */
export function checkUnchanged(ref: DeliveryFileRef, identity: FileIdentity): void {
  const stats = lstatOrNull(join(ref.dir, ref.file));
  if (!stats?.isFile() || !isSameFile(identityOf(stats), identity)) {
    fail({ code: 'delivery_file_replaced', delivery: ref.delivery, file: ref.file });
  }
}

/**
 * Reads a small regular file (delivery.json) without following a link or
 * blocking on a FIFO; null when it is missing. `tooLarge` is called (and
 * must throw) when it holds more than `maxBytes`.
 */
export function readSmallDeliveryFile(ref: DeliveryFileRef, maxBytes: number, tooLarge: () => never): Buffer | null {
  const path = join(ref.dir, ref.file);
  const stats = lstatOrNull(path);
  if (stats === null) return null;
  const { delivery, file } = ref;
  if (!stats.isFile()) fail({ code: 'delivery_entry_not_regular', delivery, file, found: entryKind(stats) });
  let descriptor: number;
  try {
    descriptor = openSync(path, SAFE_READ_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') fail({ code: 'delivery_entry_not_regular', delivery, file, found: 'symbolic link' });
    fail({ code: 'file_unreadable', delivery, file, reason: `open failed (${errorCode(error)})` });
  }
  try {
    const opened = fstatSync(descriptor);
    if (!opened.isFile() || opened.ino !== stats.ino || opened.dev !== stats.dev) fail({ code: 'delivery_file_replaced', delivery, file });
    if (opened.size > maxBytes) tooLarge();
    const bytes = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(descriptor, bytes, length, bytes.length - length, null);
      } catch (error) {
        fail({ code: 'file_unreadable', delivery, file, reason: `read failed (${errorCode(error)})` });
      }
      if (read === 0) break;
      length += read;
      if (length > maxBytes) tooLarge();
    }
    return bytes.subarray(0, length);
  } finally {
    closeSync(descriptor);
  }
}
