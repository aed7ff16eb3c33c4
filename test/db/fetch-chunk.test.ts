/**
 * Streamed chunks through fetchChunk (src/db/fetch-chunk.ts): every row
 * arrives, and the chunks already read are freed while the stream goes on,
 * not when V8 happens to collect its old generation (without fetchChunk's
 * collections none of them was).
 */
import { describe, expect, test } from 'vitest';
import { FETCHED_BYTES_PER_COLLECTION, fetchChunk } from '../../src/db/fetch-chunk.js';
import { withDatabase } from '../support/delivery.js';

const COLUMNS = 8;
const CHUNK_ROWS = 2048;
/** A chunk of COLUMNS doubles is counted as 8 bytes a value: this many chunks pass the budget twice over, and a bit. */
const CHUNKS = Math.ceil((2 * FETCHED_BYTES_PER_COLLECTION) / (CHUNK_ROWS * COLUMNS * 8)) + 50;
const columns = Array.from({ length: COLUMNS }, (_, index) => `range::double * ${index + 1}.5 as c${index}`).join(', ');

describe('fetchChunk', () => {
  test('gives every row, and frees the chunks read before the last collection while the stream goes on', async () => {
    await withDatabase(async (db) => {
      let finalized = 0;
      const registry = new FinalizationRegistry<number>(() => {
        finalized++;
      });
      let fetched = 0;
      let rows = 0;
      let lastSum = 0;
      await db.stream('doubles', `select ${columns} from range(${CHUNKS * CHUNK_ROWS}) order by range`, {}, async (result) => {
        for (;;) {
          const chunk = await fetchChunk(result);
          if (!chunk || chunk.rowCount === 0) break;
          registry.register(chunk, fetched++);
          rows += chunk.rowCount;
          lastSum = Number(chunk.getColumnVector(COLUMNS - 1).getItem(0));
        }
        // cleanup callbacks run as their own tasks, after the collection that found the chunks unreachable
        await new Promise((resolve) => setTimeout(resolve, 50));
        // the stream is still open: only fetchChunk's collections can have freed the chunks by now
        expect(finalized).toBeGreaterThanOrEqual(2 * Math.floor((FETCHED_BYTES_PER_COLLECTION / (CHUNK_ROWS * COLUMNS * 8)) * 0.9));
      });
      expect(rows).toBe(CHUNKS * CHUNK_ROWS);
      expect(fetched).toBe(CHUNKS);
      expect(lastSum).toBe((CHUNKS - 1) * CHUNK_ROWS * (COLUMNS + 0.5));
      // the collector was borrowed, not left in the global scope
      expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    });
  });
});
