/**
 * One streaming pass over each delivered file before DuckDB sees it, so that
 * a hostile or broken file is refused while it is read, never after it was
 * staged.
 *
 * A CSV file (.csv or .csv.gz) is read once: the sha256 of the delivered
 * bytes, gunzip on the fly, the decompressed bytes capped (limits.max_file_mib,
 * and what the stated row count can hold: (row_count + 1) records of at most
 * limits.max_line_kib each, plus a CRLF), every record's length capped
 * (limits.max_line_kib), the quote-aware record count (count-csv-records.ts)
 * stopped as soon as it passes the stated row count, and the first line
 * captured, bounded, as the header. Memory stays at a few
 * MiB whatever the file holds: a gzip bomb is refused at the first cap it
 * passes. Every stream error (not gzip, empty, truncated, trailing garbage,
 * an I/O error) becomes a PipelineError naming the file.
 *
 * A Parquet file, and a file of a delivery already in the warehouse, is only
 * hashed (the same open checks apply: regular-file.ts).
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { fail, PipelineFailure } from '../errors.js';
import { CsvRecordCounter } from './count-csv-records.js';
import { type DeliveryFileRef, type FileIdentity, openDeliveryFile } from './regular-file.js';

const READ_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const BYTES_PER_KIB = 1024;
const BYTES_PER_MIB = 1024 * 1024;
/** A record of max_line_kib may end in CRLF: DuckDB counts the line ending in max_line_size, we do not. */
const LINE_ENDING_BYTES = 2;

/** The `limits:` section of the study config that a file is read under. */
export interface IngestLimits {
  maxFileMib: number;
  maxLineKib: number;
}

export interface HashedFile {
  sha256: string;
  identity: FileIdentity;
}

export interface ScannedCsvFile extends HashedFile {
  /** Data records (records minus the header), counted quote-aware. */
  dataRecords: number;
  /** The bytes of the first line, without its line ending (at most max_line_kib + 2 bytes). */
  headerLine: Buffer;
}

/** The bytes DuckDB's read_csv may take for a record (max_line_size): our limit plus a line ending. */
export function maxLineSizeOf(limits: IngestLimits): number {
  return limits.maxLineKib * BYTES_PER_KIB + LINE_ENDING_BYTES;
}

function byteCap(rowCount: number, limits: IngestLimits) {
  const absolute = limits.maxFileMib * BYTES_PER_MIB;
  const stated = (rowCount + 1) * (limits.maxLineKib * BYTES_PER_KIB + LINE_ENDING_BYTES);
  return stated < absolute
    ? { limitBytes: stated, basis: { limit: 'stated_rows' as const, rowCount, maxLineKib: limits.maxLineKib } }
    : { limitBytes: absolute, basis: { limit: 'max_file_mib' as const, maxFileMib: limits.maxFileMib } };
}

/** Reads a delivered CSV file once: hash, gunzip, byte and line caps, record count and header. */
export async function scanCsvFile(ref: DeliveryFileRef, rowCount: number, limits: IngestLimits): Promise<ScannedCsvFile> {
  const { delivery, file } = ref;
  const isGzip = file.endsWith('.gz');
  const cap = byteCap(rowCount, limits);
  const maxLineBytes = limits.maxLineKib * BYTES_PER_KIB;
  const { handle, identity } = await openDeliveryFile(ref);
  if (!isGzip && identity.size > cap.limitBytes) {
    await handle.close();
    fail({ code: 'file_too_large', delivery, file, ...cap });
  }
  const hash = createHash('sha256');
  const counter = new CsvRecordCounter();
  const header = new FirstLine(maxLineBytes + LINE_ENDING_BYTES);
  let deliveredBytes = 0;
  let decompressedBytes = 0;
  let firstBytes = Buffer.alloc(0);
  async function* hashDelivered(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      hash.update(chunk);
      if (firstBytes.length < GZIP_MAGIC.length) firstBytes = Buffer.concat([firstBytes, chunk.subarray(0, GZIP_MAGIC.length)]);
      deliveredBytes += chunk.length;
      yield chunk;
    }
  }
  async function countRecords(source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      decompressedBytes += chunk.length;
      header.push(chunk);
      counter.push(chunk);
      // The line first: a file without a newline is better told by it than by its size.
      const longest = counter.longestRecord;
      if (longest.bytes > maxLineBytes) {
        fail({ code: 'line_too_long', delivery, file, record: longest.number, maxLineKib: limits.maxLineKib });
      }
      if (decompressedBytes > cap.limitBytes) fail({ code: 'file_too_large', delivery, file, ...cap });
      // More records than stated can never match: a bomb of short lines stops here, within its first MiB.
      if (counter.dataRecords > rowCount) fail({ code: 'row_count_exceeded', delivery, file, expected: rowCount });
    }
  }
  const input = handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  try {
    if (isGzip) await pipeline(input, hashDelivered, createGunzip({ chunkSize: READ_CHUNK_BYTES }), countRecords);
    else await pipeline(input, hashDelivered, countRecords);
  } catch (error) {
    if (error instanceof PipelineFailure) throw error;
    const startsAsGzip = firstBytes.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC);
    fail({ code: 'file_unreadable', delivery, file, reason: streamErrorReason(error, { isGzip, deliveredBytes, startsAsGzip }) });
  }
  return { sha256: hash.digest('hex'), identity, dataRecords: counter.dataRecords, headerLine: header.line() };
}

/** The sha256 of a delivered file's bytes (Parquet, or a file of a delivery already loaded), with the same open checks. */
export async function hashDeliveryFile(ref: DeliveryFileRef, limits?: IngestLimits): Promise<HashedFile> {
  const { handle, identity } = await openDeliveryFile(ref);
  if (limits && identity.size > limits.maxFileMib * BYTES_PER_MIB) {
    await handle.close();
    fail({
      code: 'file_too_large',
      delivery: ref.delivery,
      file: ref.file,
      limitBytes: limits.maxFileMib * BYTES_PER_MIB,
      basis: { limit: 'max_file_mib', maxFileMib: limits.maxFileMib },
    });
  }
  return { sha256: await sha256OfHandle(ref, handle), identity };
}

async function sha256OfHandle(ref: DeliveryFileRef, handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES })) hash.update(chunk as Buffer);
  } catch (error) {
    fail({ code: 'file_unreadable', delivery: ref.delivery, file: ref.file, reason: `read failed (${errnoOf(error) ?? 'unknown error'})` });
  }
  return hash.digest('hex');
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Says what went wrong in our words; zlib's own messages are fixed strings, never file content. */
function streamErrorReason(error: unknown, at: { isGzip: boolean; deliveredBytes: number; startsAsGzip: boolean }): string {
  const code = errnoOf(error);
  const zlibMessage = error instanceof Error ? error.message.split('\n')[0] : '';
  if (at.isGzip && code === 'Z_BUF_ERROR') {
    return at.deliveredBytes === 0 ? 'the file is empty, not gzip data' : 'the gzip data ends early (the file is truncated)';
  }
  if (at.isGzip && code === 'Z_DATA_ERROR') {
    return at.startsAsGzip
      ? `corrupt gzip data, or bytes after the end of the gzip data (zlib: ${zlibMessage})`
      : `not gzip data although the name ends in .gz (zlib: ${zlibMessage})`;
  }
  if (at.isGzip && code?.startsWith('Z_')) return `gzip data cannot be decompressed (zlib: ${code})`;
  return `read failed (${code ?? 'unknown error'})`;
}

/** The first line of a stream, kept up to a bound: a file without a newline cannot grow it. */
class FirstLine {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private isComplete = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (this.isComplete) return;
    const newline = chunk.indexOf(NEWLINE);
    const end = Math.min(newline === -1 ? chunk.length : newline, this.maxBytes - this.length);
    this.parts.push(Buffer.from(chunk.subarray(0, end)));
    this.length += end;
    this.isComplete = newline !== -1 || this.length >= this.maxBytes;
  }

  /** Without a final CR. */
  line(): Buffer {
    const line = Buffer.concat(this.parts);
    return line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
  }
}
