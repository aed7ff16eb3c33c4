/**
 * Numeric columns of a streamed chunk copied into typed arrays the caller
 * keeps: no value object per item, and no new array per chunk, for the loops
 * that read tens of millions of values (the DiD's person-month stream). The
 * node API's getItem tests each item's validity bit with BigInt arithmetic
 * and builds vector objects per chunk: at 1 M persons that was about 6 s of
 * the stream's JavaScript. A fresh copy of each column per chunk (an
 * ArrayBuffer each, 2.6 GB of them at 1 M persons) then cost the stream 1.9 s
 * of copying and most of its 3.0 s of garbage collection (a CPU profile of
 * the DiD of 12 samples, 33.5 s): a chunk's column is now copied into a
 * buffer of one chunk's rows (chunkColumnBuffer), made once per stream. A
 * column read with chunkColumn must hold no null (the SQL makes sure); one
 * that does is an error, never a silent 0. readColumns (the matching's
 * per-person inputs) reads its DOUBLE columns with chunkDoubles, a null as
 * NaN. The copy outlives the chunk.
 */
import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import { DuckDBTypeId } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';

const TYPED_ARRAYS = {
  [DuckDBTypeId.INTEGER]: Int32Array,
  [DuckDBTypeId.DOUBLE]: Float64Array,
} as const;

type ColumnType = keyof typeof TYPED_ARRAYS;
type ColumnArray<T extends ColumnType> = InstanceType<(typeof TYPED_ARRAYS)[T]>;

const BITS_PER_VALIDITY_WORD = 64;

/** The index of the column `name` of `result`, checked once to be of `type` before its chunks are read as that type. */
export function typedColumn(result: DuckDBResult, name: string, type: ColumnType): number {
  const column = result.columnNames().indexOf(name);
  if (column < 0) throw new Error(`the result has no column ${name}`);
  const found = result.columnTypeId(column);
  if (found !== type) throw new Error(`column ${name} is ${DuckDBTypeId[found]}, read as ${DuckDBTypeId[type]}`);
  return column;
}

/** The most rows a chunk holds (DuckDB's vector size). */
export const CHUNK_ROWS = duckdb.vector_size();

/** A buffer for one column of a chunk (chunkColumn), of `type`. */
export function chunkColumnBuffer<T extends ColumnType>(type: T): ColumnArray<T> {
  return new TYPED_ARRAYS[type](CHUNK_ROWS) as ColumnArray<T>;
}

/**
 * Copies `column` of `chunk` (of `type`, typedColumn) into the start of `into` (chunkColumnBuffer) and returns
 * `into`: its first chunk.rowCount items are the column's, the rest are left as they were.
 */
export function chunkColumn<T extends ColumnType>(chunk: DuckDBDataChunk, column: number, type: T, into: ColumnArray<T>): ColumnArray<T> {
  const validity = copyColumn(chunk, column, type, into);
  if (validity && !allValid(validity, chunk.rowCount)) throw new Error(`column ${column} of a chunk holds a null`);
  return into;
}

/** As chunkColumn for a DOUBLE column, with each null read as NaN, not refused (readColumns). */
export function chunkDoubles(
  chunk: DuckDBDataChunk,
  column: number,
  into: ColumnArray<DuckDBTypeId.DOUBLE>,
): ColumnArray<DuckDBTypeId.DOUBLE> {
  const validity = copyColumn(chunk, column, DuckDBTypeId.DOUBLE, into);
  if (!validity) return into;
  const rows = chunk.rowCount;
  for (let row = 0; row < rows; row++) if (((validity[row >> 3]! >> (row & 7)) & 1) === 0) into[row] = Number.NaN;
  return into;
}

/** Copies the column's values into `into`; returns its validity mask (least significant bit first), null when every value is valid. */
function copyColumn<T extends ColumnType>(chunk: DuckDBDataChunk, column: number, type: T, into: ColumnArray<T>): Uint8Array | null {
  const rows = chunk.rowCount;
  if (rows > into.length) throw new Error(`a chunk of ${rows} rows, more than its column's buffer holds (${into.length})`);
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const validity = duckdb.vector_get_validity(vector, Math.ceil(rows / BITS_PER_VALIDITY_WORD) * 8);
  const TypedArray = TYPED_ARRAYS[type];
  const data = duckdb.vector_get_data(vector, rows * TypedArray.BYTES_PER_ELEMENT);
  (into as InstanceType<typeof TypedArray>).set(new TypedArray(data.buffer as ArrayBuffer, data.byteOffset, rows));
  return validity;
}

/** Whether the first `rows` bits of a validity mask (least significant bit first) are all set. */
function allValid(validity: Uint8Array, rows: number): boolean {
  const fullBytes = Math.floor(rows / 8);
  for (let index = 0; index < fullBytes; index++) if (validity[index] !== 0xff) return false;
  const restBits = rows % 8;
  const restMask = (1 << restBits) - 1;
  return restBits === 0 || (validity[fullBytes]! & restMask) === restMask;
}
