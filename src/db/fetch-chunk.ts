/**
 * A streamed result's next chunk, with the DuckDB memory behind the chunks
 * already read handed back in bounded amounts.
 *
 * A fetched chunk's vectors are DuckDB memory that V8 does not see: the node
 * bindings report none of it as external memory, and free it only when the
 * chunk's wrapper is garbage-collected. Wrappers that outlive the minor
 * collections (a chunk is held while the next one is fetched) move to the
 * old generation, which a heap of a few tens of MB collects seldom: in the
 * DiD's stream at 60,000 persons not one of its 1,069 panel chunks (about
 * 150 MB) had been freed when the stream ended, and the resident memory
 * rose by 290 MiB while it ran. So after every FETCHED_BYTES_PER_COLLECTION
 * bytes of chunks fetched (all streams counted together), V8 is asked for a
 * full collection, which frees every chunk no longer referenced. At
 * 1,000,000 persons that made 42 collections, 10-36 ms each in the DiD's
 * stream and 51-71 ms while matching held its arrays. A collection changes no
 * result.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';

/** Bytes of chunks fetched between two full collections: the most chunk memory waiting to be freed. */
export const FETCHED_BYTES_PER_COLLECTION = 64 * 2 ** 20;
/** A value's width in a chunk's vector, counted as the widest fixed-size one (strings keep more, elsewhere). */
const BYTES_PER_VALUE = 8;

let fetchedSinceCollection = 0;
let collect: (() => void) | undefined;

/** The result's next chunk (null at its end), as `result.fetchChunk()`; every stream's chunks go through here. */
export async function fetchChunk(result: DuckDBResult): Promise<DuckDBDataChunk | null> {
  const chunk = await result.fetchChunk();
  if (chunk) {
    fetchedSinceCollection += chunk.rowCount * chunk.columnCount * BYTES_PER_VALUE;
    if (fetchedSinceCollection >= FETCHED_BYTES_PER_COLLECTION) {
      fetchedSinceCollection = 0;
      collectGarbage();
    }
  }
  return chunk;
}

/**
 * A full collection. V8 gives its `gc` function to contexts made while --expose-gc is set, so one is made for it
 * and the flag set back, as jest's leak detector does; a process started with --expose-gc has it already.
 */
function collectGarbage(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) {
      collect = exposed;
    } else {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
      setFlagsFromString('--no-expose-gc');
    }
  }
  collect();
}
