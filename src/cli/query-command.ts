/**
 * `ipslink query --run DIR "SQL"`: a view per output file of a published
 * run (effects, balance, cohort, panel, ...), so a researcher can ask a
 * question without knowing the file layout.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { objectsToCsv } from '../csv.js';
import type { Database } from '../db/database.js';
import { fail } from '../errors.js';

interface QueryArgs {
  run: string;
  sql: string;
  format: 'csv' | 'json';
}

/** View name -> parquet path (glob) for every output of a run. */
export function runViews(runDir: string): Record<string, string> {
  const views: Record<string, string> = {};
  for (const area of ['restricted', 'export']) {
    const dir = join(runDir, area);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (name.endsWith('.parquet')) views[name.replace(/\.parquet$/, '')] = join(dir, name);
      else if (name === 'panel') views.panel = join(dir, 'panel', '**', '*.parquet');
    }
  }
  return views;
}

export async function openRun(runDir: string): Promise<Database> {
  if (!existsSync(join(runDir, 'manifest.json'))) fail({ code: 'run_not_found', dir: runDir });
  // Loaded here, not at start-up, so that --help and the other commands do not load DuckDB.
  const { Database, quoteIdentifier, quoteLiteral } = await import('../db/database.js');
  const db = await Database.open(':memory:');
  for (const [view, path] of Object.entries(runViews(runDir))) {
    await db.run(
      `query: view ${view}`,
      `create view ${quoteIdentifier(view)} as select * from read_parquet(${quoteLiteral(path)}, hive_partitioning = true)`,
    );
  }
  return db;
}

export const queryCommand: CommandModule<object, QueryArgs> = {
  command: 'query <sql>',
  describe: 'run a SQL query over a published run, with a view for every output file',
  builder: (yargs) =>
    yargs.positional('sql', { type: 'string', demandOption: true, describe: 'the query, e.g. "select * from effects"' }).options({
      run: { type: 'string', demandOption: true, describe: 'published run directory, e.g. out/demo/current' },
      format: { choices: ['csv', 'json'] as const, default: 'csv' as const, describe: 'output format' },
    }),
  handler: async (args) => {
    const db = await openRun(resolve(args.run));
    try {
      const rows = await db.query<Record<string, unknown>>('query', args.sql);
      if (args.format === 'json') {
        process.stdout.write(`${JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value))}\n`);
        return;
      }
      process.stdout.write(objectsToCsv(rows));
    } finally {
      db.close();
    }
  },
};
