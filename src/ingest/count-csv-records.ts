/**
 * Counts the data records of a delivered CSV file (records minus the
 * header), streaming and quote-aware: the independent row count that a
 * file's delivery.json row_count is checked against.
 *
 * The dialect is the deliveries' (comma separated, double-quote quoting
 * with "" inside quotes, LF or CRLF, optional .gz). A quote opens a quoted
 * field only at the start of a field (after a comma spaces may come before
 * it); elsewhere it is a literal, as DuckDB reads it. A newline inside
 * quotes does not end a record; a blank line is not a record (DuckDB's
 * read_csv skips it too); a missing final newline still ends the last
 * record. Where the count and DuckDB still disagree on a malformed file,
 * ingest refuses the file rather than lose a row.
 * `CsvRecordCounter` takes the bytes in chunks of any size, so `ipslink
 * pull` counts while it downloads; chunks are scanned with Buffer.indexOf
 * for '"' and '\n' (native code) rather than byte by byte in JS. It also
 * keeps the length of the longest record, the one still open included, so
 * ingest (scan-file.ts) refuses an overlong record while streaming.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READ_CHUNK_BYTES = 1 << 20;

/** Counts CSV records over the bytes of a file pushed in order, in chunks that may split a field, a quote or a CRLF. */
export class CsvRecordCounter {
  private records = 0;
  private isInQuotes = false;
  /** Whether the record being read has a byte other than CR: a blank line is no record. */
  private hasRecordContent = false;
  /** Bytes pushed before the current chunk, and where the record (or blank line) still open starts. */
  private streamOffset = 0;
  private recordStart = 0;
  /** The last byte pushed (-1 before any), and the stream offset of the last quote that closed a quoted field. */
  private lastByte = -1;
  /** The last byte pushed that is not a space (-1 before any): spaces may stand before an opening quote. */
  private lastNonSpaceByte = -1;
  private closingQuoteOffset = -2;
  private longestClosed = { bytes: 0, number: 0 };

  push(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    // Positions of the next quote and newline at or after `position`; -1: none left in the chunk, -2: not searched yet.
    let nextQuote = -2;
    let nextNewline = -2;
    let position = 0;
    while (position < bytes.length) {
      if (nextQuote !== -1 && nextQuote < position) nextQuote = bytes.indexOf(QUOTE, position);
      if (this.isInQuotes) {
        // The closing quote (or the first of a "" escape, which reopens at once).
        if (nextQuote === -1) break;
        this.isInQuotes = false;
        this.closingQuoteOffset = this.streamOffset + nextQuote;
        position = nextQuote + 1;
        continue;
      }
      if (nextNewline !== -1 && nextNewline < position) nextNewline = bytes.indexOf(NEWLINE, position);
      const lineEnd = nextNewline === -1 ? bytes.length : nextNewline;
      if (nextQuote !== -1 && nextQuote < lineEnd) {
        this.hasRecordContent = true;
        this.isInQuotes = this.opensQuotedField(bytes, nextQuote);
        position = nextQuote + 1;
        continue;
      }
      this.hasRecordContent ||= hasNonCarriageReturn(bytes, position, lineEnd);
      if (nextNewline === -1) break;
      const isRecord = this.hasRecordContent;
      if (isRecord) this.records++;
      this.hasRecordContent = false;
      this.closeRecord(bytes, nextNewline, isRecord ? this.records : this.records + 1);
      position = nextNewline + 1;
    }
    if (bytes.length > 0) this.lastByte = bytes[bytes.length - 1]!;
    this.lastNonSpaceByte = lastNonSpaceBefore(bytes, bytes.length, this.lastNonSpaceByte);
    this.streamOffset += bytes.length;
  }

  /**
   * Whether a quote outside quotes opens a quoted field: at the start of a
   * field (after a comma, possibly with spaces between; at the start of a
   * line or of the file), or right after a closing quote (a "" escape).
   * Elsewhere it is a literal character, as DuckDB's read_csv reads it: `2"x`
   * is a value, not the start of a quote that would swallow the lines after it.
   */
  private opensQuotedField(bytes: Buffer, quote: number): boolean {
    if (this.streamOffset + quote === this.closingQuoteOffset + 1) return true;
    const before = quote > 0 ? bytes[quote - 1] : this.lastByte;
    if (before === -1 || before === COMMA || before === NEWLINE) return true;
    return before === SPACE && lastNonSpaceBefore(bytes, quote, this.lastNonSpaceByte) === COMMA;
  }

  /** Record `number` (or a blank line before it) ends at the chunk's newline at `newline`: its length; the next starts after it. */
  private closeRecord(bytes: Buffer, newline: number, number: number): void {
    const end = this.streamOffset + newline;
    const before = newline > 0 ? bytes[newline - 1] : this.lastByte;
    const length = end - this.recordStart - (before === CARRIAGE_RETURN && end > this.recordStart ? 1 : 0);
    if (length > this.longestClosed.bytes) this.longestClosed = { bytes: length, number };
    this.recordStart = end + 1;
  }

  /** Records so far minus the header, counting an unterminated last record. */
  get dataRecords(): number {
    const records = this.records + (this.hasRecordContent ? 1 : 0);
    return Math.max(0, records - 1);
  }

  /**
   * The longest record so far, the open one included: its bytes without the
   * line ending (LF or CRLF), newlines inside its quotes counted, which is what
   * DuckDB's read_csv compares with max_line_size (plus the line ending); and
   * its 1-based number, the header being record 1. A blank line counts here
   * as a record of its length (numbered as the record after it).
   */
  get longestRecord(): { bytes: number; number: number } {
    const hasOpenCarriageReturn = this.lastByte === CARRIAGE_RETURN && this.streamOffset > this.recordStart;
    const open = this.streamOffset - this.recordStart - (hasOpenCarriageReturn ? 1 : 0);
    return open > this.longestClosed.bytes ? { bytes: open, number: this.records + 1 } : this.longestClosed;
  }
}

/** The last byte before `end` that is not a space, looking back into earlier chunks (`earlier`) when the chunk has none. */
function lastNonSpaceBefore(bytes: Buffer, end: number, earlier: number): number {
  let position = end - 1;
  while (position >= 0 && bytes[position] === SPACE) position--;
  return position >= 0 ? bytes[position]! : earlier;
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
