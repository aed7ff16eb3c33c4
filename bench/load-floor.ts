/**
 * The load floor of `make bench`: DuckDB alone loads every file once into a
 * table of a new database file, each column read as the contract types it
 * (the CSV reader's own casts, with ingest's CSV dialect; a row that fails
 * one goes to the reader's rejects table), then checkpoints. Nothing is validated, versioned or
 * ledgered, and no row is written twice: what any ingest must at least do,
 * so the ingest target's rows per second are judged against it. In its own
 * process, with the run's DuckDB memory limit and threads. Prints the seconds.
 * The columns are named in the contract's order, which is synthesis's.
 * Usage: node --import tsx bench/load-floor.ts MEMORY_LIMIT THREADS WORK_DIR EXTRACT=FILE...
 * (WORK_DIR/load-floor holds the database and its spill, and is removed.)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { extractByName } from '../src/contracts/extracts.js';
import { Database, quoteIdentifier, quoteLiteral } from '../src/db/database.js';
import { CSV_DIALECT_SQL } from '../src/ingest/read-raw-file.js';

const [memoryLimit, threads, work, ...files] = process.argv.slice(2);
if (!memoryLimit || !Number(threads) || !work || files.length === 0) {
  throw new Error('usage: bench/load-floor.ts MEMORY_LIMIT THREADS WORK_DIR EXTRACT=FILE...');
}
const dir = join(work, 'load-floor');
mkdirSync(dir);
const started = performance.now();
const db = await Database.open(join(dir, 'load-floor.duckdb'), {
  memoryLimit,
  threads: Number(threads),
  tempDirectory: join(dir, 'spill'),
});
try {
  for (const [index, file] of files.entries()) {
    const [name, ...rest] = file.split('=');
    const extract = extractByName(name!);
    if (!extract) throw new Error(`bench/load-floor.ts: no extract ${name}`);
    const columns = extract.columnNames.map((column) => `${quoteLiteral(column)}: ${quoteLiteral(extract.columns[column]!.duckdbType)}`);
    await db.run(
      'bench: load floor',
      `create table ${quoteIdentifier(`file_${index}`)} as
select * from read_csv(${quoteLiteral(rest.join('='))}, ${CSV_DIALECT_SQL},
    columns = {${columns.join(', ')}}, store_rejects = true,
    rejects_table = ${quoteLiteral(`rejects_${index}`)}, rejects_scan = ${quoteLiteral(`reject_scans_${index}`)})`,
    );
  }
  await db.run('bench: load floor checkpoint', 'checkpoint');
} finally {
  db.close();
}
process.stdout.write(`${(performance.now() - started) / 1000}\n`);
rmSync(dir, { recursive: true, force: true });
