/**
 * Numeric columns of a streamed chunk as typed arrays over DuckDB's own
 * vector memory: no copy and no value object per item, for the loops that
 * read tens of millions of values (the DiD's person-month stream). The
 * node API's getItem tests each item's validity bit with BigInt arithmetic
 * and builds vector objects per chunk: at 1 M persons that was about 6 s of
 * the stream's JavaScript. A column read this way must hold no null (the SQL
 * makes sure); one that does is an error, never a silent 0. Each array is
 * a copy (one memcpy of the column), so it outlives the chunk.
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

/** `column` of `chunk` (of `type`, typedColumn) as a typed array of chunk.rowCount items. */
export function chunkColumn<T extends ColumnType>(chunk: DuckDBDataChunk, column: number, type: T): ColumnArray<T> {
  const rows = chunk.rowCount;
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, column);
  const validity = duckdb.vector_get_validity(vector, Math.ceil(rows / BITS_PER_VALIDITY_WORD) * 8);
  if (validity && !allValid(validity, rows)) throw new Error(`column ${column} of a chunk holds a null`);
  const TypedArray = TYPED_ARRAYS[type];
  const data = duckdb.vector_get_data(vector, rows * TypedArray.BYTES_PER_ELEMENT);
  return new TypedArray(data.buffer as ArrayBuffer, data.byteOffset, rows).slice() as ColumnArray<T>;
}

/** Whether the first `rows` bits of a validity mask (least significant bit first) are all set. */
function allValid(validity: Uint8Array, rows: number): boolean {
  const fullBytes = Math.floor(rows / 8);
  for (let index = 0; index < fullBytes; index++) if (validity[index] !== 0xff) return false;
  const restBits = rows % 8;
  const restMask = (1 << restBits) - 1;
  return restBits === 0 || (validity[fullBytes]! & restMask) === restMask;
}
