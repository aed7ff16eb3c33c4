/**
 * Writes a query result as an Arrow IPC file, one record batch per DuckDB
 * chunk, so large results stream instead of sitting in JS objects
 * (the Node client has no Arrow export; STACK.md). The schema carries the
 * table's and each column's description (key `description`), as the
 * Parquet files' key-value metadata does.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { type DuckDBResult, DuckDBTypeId } from '@duckdb/node-api';
import {
  Bool,
  type DataType,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import type { Database } from '../db/database.js';
import { fetchChunk } from '../db/fetch-chunk.js';
import type { OutputDescription } from './codebook.js';

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

/** The schema of the result, with the table's description and each column's description as Arrow metadata. */
function describedSchema(result: DuckDBResult, described: OutputDescription): Schema {
  const fields = result.columnNames().map((name, index) => {
    const description = described.columns[name];
    return new Field(
      name,
      arrowTypeFor(result.columnTypeId(index), name),
      true,
      new Map(description ? [['description', description]] : []),
    );
  });
  return new Schema(fields, new Map([['description', described.description]]));
}

async function* recordBatches(result: DuckDBResult, schema: Schema): AsyncGenerator<RecordBatch> {
  const type = new Struct(schema.fields);
  for (;;) {
    const chunk = await fetchChunk(result);
    if (!chunk || chunk.rowCount === 0) return;
    const children = chunk.getColumns().map((values, index) => vectorFromArray(values, schema.fields[index]!.type).data[0]!);
    yield new RecordBatch(schema, makeData({ type, length: chunk.rowCount, nullCount: 0, children }));
  }
}

export async function writeArrowFile(db: Database, label: string, sql: string, path: string, described: OutputDescription): Promise<void> {
  await db.stream(label, sql, {}, async (result) => {
    const writer = new RecordBatchFileWriter();
    const written = pipeline(writer.toNodeStream(), createWriteStream(path));
    for await (const batch of recordBatches(result, describedSchema(result, described))) writer.write(batch);
    writer.finish();
    await written;
  });
}
