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
/** A chunk of COLUMNS doubles, counted as 8 bytes a value. */
const CHUNK_BYTES = CHUNK_ROWS * COLUMNS * 8;
const CHUNKS_PER_COLLECTION = FETCHED_BYTES_PER_COLLECTION / CHUNK_BYTES;
/** Past the budget twice over, and a bit. */
const CHUNKS = Math.ceil(2 * CHUNKS_PER_COLLECTION) + 50;
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
      let lastChunkFirstValue = 0;
      await db.stream('doubles', `select ${columns} from range(${CHUNKS * CHUNK_ROWS}) order by range`, {}, async (result) => {
        for (;;) {
          const chunk = await fetchChunk(result);
          if (!chunk || chunk.rowCount === 0) break;
          registry.register(chunk, fetched++);
          rows += chunk.rowCount;
          lastChunkFirstValue = Number(chunk.getColumnVector(COLUMNS - 1).getItem(0));
        }
        // cleanup callbacks run as their own tasks, after the collection that found the chunks unreachable
        await new Promise((resolve) => setTimeout(resolve, 50));
        // the stream is still open: only fetchChunk's two collections can have freed the chunks by now (90% of those
        // before each, leaving room for the ones still referenced when it ran)
        expect(finalized).toBeGreaterThanOrEqual(2 * Math.floor(CHUNKS_PER_COLLECTION * 0.9));
      });
      expect(rows).toBe(CHUNKS * CHUNK_ROWS);
      expect(fetched).toBe(CHUNKS);
      expect(lastChunkFirstValue).toBe((CHUNKS - 1) * CHUNK_ROWS * (COLUMNS + 0.5));
      // the collector was borrowed, not left in the global scope
      expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    });
  });
});
