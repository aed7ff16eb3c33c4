/**
 * The floor of `make bench`: DuckDB alone reads each file and counts its rows
 * and distinct persons, nothing validated or linked; in its own process, so
 * that the run's peak memory is not its. Prints the seconds the reads took.
 * Usage: node --import tsx bench/floor.ts FILE...
 */
import { Database, quoteLiteral } from '../src/db/database.js';

const started = performance.now();
const db = await Database.open(':memory:');
for (const file of process.argv.slice(2)) {
  await db.query(
    'bench: floor',
    `select count(*), count(distinct person_id) from read_csv(${quoteLiteral(file)}, header = true, all_varchar = true)`,
  );
}
db.close();
process.stdout.write(`${(performance.now() - started) / 1000}\n`);
