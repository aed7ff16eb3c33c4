import type { Database } from '../../src/db/database.js';

/** Column segments of `table` (validity masks aside) that DuckDB stores uncompressed. */
export async function uncompressedSegments(db: Database, table: string): Promise<number> {
  const [{ segments }] = (await db.query<{ segments: number }>(
    'storage',
    `select count(*)::integer as segments from pragma_storage_info('${table}')
     where segment_type <> 'VALIDITY' and compression = 'Uncompressed'`,
  )) as [{ segments: number }];
  return segments;
}
