/**
 * The pair and subgroup tables that the match and subgroups stages write,
 * empty and in the shapes those stages give them (PAIR_MEMBER_COLUMNS,
 * createSubgroupMatchTables): for tests that write `matches` themselves.
 */
import type { Database } from '../../src/db/database.js';
import { PAIR_MEMBER_COLUMNS } from '../../src/match/index.js';
import { createSubgroupMatchTables } from '../../src/subgroups/index.js';

/** match_pairs, subgroup_matches and subgroup_match_pairs, with no rows. */
export async function createEmptyPairAndSubgroupMatches(db: Database): Promise<void> {
  await db.run('match pairs', `create table match_pairs (${PAIR_MEMBER_COLUMNS})`);
  await createSubgroupMatchTables(db);
}
