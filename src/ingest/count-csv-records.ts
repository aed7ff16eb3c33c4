/**
 * Counts the data records of a delivered CSV file (records minus the
 * header), streaming and quote-aware: the independent row count that a
 * file's delivery.json row_count is checked against.
 *
 * The dialect is the deliveries' (comma separated, double-quote quoting
 * with "" inside quotes, LF or CRLF, optional .gz). A newline inside quotes
 * does not end a record; a blank line is not a record (DuckDB's read_csv
 * skips it too); a missing final newline still ends the last record.
 * `CsvRecordCounter` takes the bytes in chunks of any size, so `ipslink
 * pull` counts while it downloads; chunks are scanned with Buffer.indexOf
 * for '"' and '\n' (native code) rather than byte by byte in JS.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READ_CHUNK_BYTES = 1 << 20;

/** Counts CSV records over the bytes of a file pushed in order, in chunks that may split a field, a quote or a CRLF. */
export class CsvRecordCounter {
  private records = 0;
  private isInQuotes = false;
  /** Whether the record being read has a byte other than CR: a blank line is no record. */
  private hasRecordContent = false;

  push(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Positions of the next quote and newline at or after `position`; -1: none left in the chunk, -2: not searched yet.
    let nextQuote = -2;
    let nextNewline = -2;
    let position = 0;
    while (position < bytes.length) {
      if (nextQuote !== -1 && nextQuote < position) nextQuote = bytes.indexOf(QUOTE, position);
      if (this.isInQuotes) {
        // The closing quote; a "" escape closes and reopens, which counts the same.
        if (nextQuote === -1) return;
        this.isInQuotes = false;
        position = nextQuote + 1;
        continue;
      }
      if (nextNewline !== -1 && nextNewline < position) nextNewline = bytes.indexOf(NEWLINE, position);
      const lineEnd = nextNewline === -1 ? bytes.length : nextNewline;
      if (nextQuote !== -1 && nextQuote < lineEnd) {
        this.hasRecordContent = true;
        this.isInQuotes = true;
        position = nextQuote + 1;
        continue;
      }
      this.hasRecordContent ||= hasNonCarriageReturn(bytes, position, lineEnd);
      if (nextNewline === -1) return;
      if (this.hasRecordContent) this.records++;
      this.hasRecordContent = false;
      position = nextNewline + 1;
    }
  }

  /** Records so far minus the header, counting an unterminated last record. */
  get dataRecords(): number {
    const records = this.records + (this.hasRecordContent ? 1 : 0);
    return Math.max(0, records - 1);
  }
}

function hasNonCarriageReturn(bytes: Buffer, start: number, end: number): boolean {
  let position = start;
  while (position < end && bytes[position] === CARRIAGE_RETURN) position++;
  return position < end;
}

/** Data records of a CSV file (.csv or .csv.gz, decompressed on the fly). */
export async function countCsvRecords(path: string): Promise<number> {
  const counter = new CsvRecordCounter();
  const count = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) counter.push(chunk);
  };
  const input = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  if (path.endsWith('.gz')) await pipeline(input, createGunzip({ chunkSize: READ_CHUNK_BYTES }), count);
  else await pipeline(input, count);
  return counter.dataRecords;
}
