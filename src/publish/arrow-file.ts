/**
 * Writes a query result as an Arrow IPC file, one record batch per DuckDB
 * chunk, so large results stream instead of sitting in JS objects
 * (the Node client has no Arrow export; STACK.md).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type DuckDBResult, DuckDBTypeId } from '@duckdb/node-api';
import { Bool, type DataType, Float64, Int32, Int64, RecordBatch, RecordBatchFileWriter, Utf8, vectorFromArray } from 'apache-arrow';
import type { Database } from '../db/database.js';

function arrowTypeFor(typeId: DuckDBTypeId, column: string): DataType {
  switch (typeId) {
    case DuckDBTypeId.VARCHAR:
      return new Utf8();
    case DuckDBTypeId.DOUBLE:
      return new Float64();
    case DuckDBTypeId.INTEGER:
      return new Int32();
    case DuckDBTypeId.BIGINT:
      return new Int64();
    case DuckDBTypeId.BOOLEAN:
      return new Bool();
    default:
      throw new Error(`arrow-file: column ${column} has DuckDB type id ${typeId}; cast it to VARCHAR, DOUBLE, INTEGER, BIGINT or BOOLEAN`);
  }
}

async function* recordBatches(result: DuckDBResult): AsyncGenerator<RecordBatch> {
  const names = result.columnNames();
  const types = names.map((name, index) => arrowTypeFor(result.columnTypeId(index), name));
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const columns = chunk.getColumns();
    yield new RecordBatch(Object.fromEntries(names.map((name, index) => [name, vectorFromArray(columns[index]!, types[index]!).data[0]!])));
  }
}

export async function writeArrowFile(db: Database, label: string, sql: string, path: string): Promise<void> {
  const result = await db.stream(label, sql);
  const writer = new RecordBatchFileWriter();
  const written = pipeline(writer.toNodeStream(), createWriteStream(path));
  for await (const batch of recordBatches(result)) writer.write(batch);
  writer.finish();
  await written;
}
