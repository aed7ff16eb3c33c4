/**
 * Streamed chunks' numeric columns copied into typed arrays (src/db/chunk-columns.ts):
 * the same values the node API's getItem gives, over several chunks and
 * ragged sizes, into buffers reused from chunk to chunk (chunkDoubles reads
 * a null as NaN); otherwise a null, a column of another type, or a buffer
 * too small for a chunk, is an error.
 */
import { DuckDBTypeId } from '@duckdb/node-api';
import { describe, expect, test } from 'vitest';
import { CHUNK_ROWS, chunkColumn, chunkColumnBuffer, chunkDoubles, typedColumn } from '../../src/db/chunk-columns.js';
import { withDatabase } from '../support/delivery.js';

// 5,003 rows: two full chunks of 2,048 and one of 907 (not a multiple of 8: the validity's last byte is partial)
const ROWS = 5003;

describe('chunkColumn', () => {
  test('reads INTEGER and DOUBLE columns as getItem does, chunk by chunk', async () => {
    await withDatabase(async (db) => {
      await db.stream(
        'numbers',
        `select (range * 7 - 20000)::integer as whole, range / 3 - 100.25 as fraction from range(${ROWS}) order by range`,
        {},
        async (result) => {
          expect(typedColumn(result, 'whole', DuckDBTypeId.INTEGER)).toBe(0);
          expect(typedColumn(result, 'fraction', DuckDBTypeId.DOUBLE)).toBe(1);
          const read = { whole: [] as number[], fraction: [] as number[] };
          const viaGetItem = { whole: [] as unknown[], fraction: [] as unknown[] };
          const sizes: number[] = [];
          const buffers = { whole: chunkColumnBuffer(DuckDBTypeId.INTEGER), fraction: chunkColumnBuffer(DuckDBTypeId.DOUBLE) };
          for (;;) {
            const chunk = await result.fetchChunk();
            if (!chunk || chunk.rowCount === 0) break;
            sizes.push(chunk.rowCount);
            const whole = chunkColumn(chunk, 0, DuckDBTypeId.INTEGER, buffers.whole);
            const fraction = chunkColumn(chunk, 1, DuckDBTypeId.DOUBLE, buffers.fraction);
            expect(whole).toBe(buffers.whole);
            expect(fraction).toBe(buffers.fraction);
            read.whole.push(...whole.subarray(0, chunk.rowCount));
            read.fraction.push(...fraction.subarray(0, chunk.rowCount));
            viaGetItem.whole.push(...chunk.getColumnVector(0).toArray());
            viaGetItem.fraction.push(...chunk.getColumnVector(1).toArray());
          }
          expect(CHUNK_ROWS).toBe(2048);
          expect(sizes).toEqual([2048, 2048, 907]);
          // the last chunk's 907 rows over the second one's: the rest of the buffer is the second chunk's
          expect(buffers.whole[907]).toBe((2048 + 907) * 7 - 20000);
          expect(read).toEqual(viaGetItem);
          expect(read.whole.at(-1)).toBe((ROWS - 1) * 7 - 20000);
        },
      );
    });
  });

  test('a null in the column is an error, in a full chunk or in the last byte of a partial one', async () => {
    for (const nullAt of [100, ROWS - 1]) {
      await withDatabase(async (db) => {
        const errors: unknown[] = [];
        await db.stream(
          'with a null',
          `select case when range = ${nullAt} then null else range end::integer as value from range(${ROWS}) order by range`,
          {},
          async (result) => {
            for (;;) {
              const chunk = await result.fetchChunk();
              if (!chunk || chunk.rowCount === 0) break;
              try {
                chunkColumn(chunk, 0, DuckDBTypeId.INTEGER, chunkColumnBuffer(DuckDBTypeId.INTEGER));
              } catch (error) {
                errors.push(error);
              }
            }
          },
        );
        expect(errors).toHaveLength(1);
        expect(String(errors[0])).toMatch(/holds a null/);
      });
    }
  });

  test('chunkDoubles reads each null of a DOUBLE column as NaN, the other values as they are', async () => {
    await withDatabase(async (db) => {
      await db.stream(
        'doubles with nulls',
        // no ORDER BY: a sort writes NaN where a DOUBLE is null, a plain scan leaves the value the CASE did not take
        `select case when range in (0, 9, 2047, 2048, ${ROWS - 1}) then null else range / 4 end::double as value
         from range(${ROWS})`,
        {},
        async (result) => {
          const buffer = chunkColumnBuffer(DuckDBTypeId.DOUBLE);
          const read: number[] = [];
          for (;;) {
            const chunk = await result.fetchChunk();
            if (!chunk || chunk.rowCount === 0) break;
            read.push(...chunkDoubles(chunk, 0, buffer).subarray(0, chunk.rowCount));
          }
          expect(read).toHaveLength(ROWS);
          const nulls = read.flatMap((value, row) => (Number.isNaN(value) ? [row] : []));
          expect(nulls).toEqual([0, 9, 2047, 2048, ROWS - 1]);
          expect(read.every((value, row) => Number.isNaN(value) || value === row / 4)).toBe(true);
        },
      );
    });
  });

  test('a buffer that cannot hold the chunk is refused, not written past', async () => {
    await withDatabase(async (db) => {
      await db.stream('numbers', `select range::integer as value from range(${ROWS}) order by range`, {}, async (result) => {
        const chunk = await result.fetchChunk();
        const small = new Int32Array(100);
        expect(() => chunkColumn(chunk!, 0, DuckDBTypeId.INTEGER, small)).toThrow(
          "a chunk of 2048 rows, more than its column's buffer holds (100)",
        );
        expect(small.every((value) => value === 0)).toBe(true);
      });
    });
  });

  test('a column of another type, or one the result lacks, is refused before it is read', async () => {
    await withDatabase(async (db) => {
      await db.stream('bigint', 'select 1::bigint as value', {}, async (result) => {
        expect(() => typedColumn(result, 'value', DuckDBTypeId.INTEGER)).toThrow('column value is BIGINT, read as INTEGER');
        expect(() => typedColumn(result, 'other', DuckDBTypeId.INTEGER)).toThrow('the result has no column other');
      });
    });
  });
});
