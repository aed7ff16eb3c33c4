/**
 * The disclosure rules on hand-made rows: each table's rows are given as a
 * SQL query, every column is published, and the rules are built for the
 * threshold, as the registry's entries build theirs.
 */
import type { Database } from '../../src/db/database.js';
import { quoteIdentifier } from '../../src/db/database.js';
import {
  applyDisclosureControl,
  type DisclosedTable,
  type DisclosureReport,
  type DisclosureRule,
  type LinkedCount,
} from '../../src/disclosure/disclosure-control.js';

export interface RowsToDisclose {
  name: string;
  /** SQL query for the rows. */
  source: string;
  orderBy: string;
  links?: readonly LinkedCount[];
  rules: (threshold: number) => DisclosureRule[];
}

export async function discloseRows(
  db: Database,
  tables: readonly RowsToDisclose[],
  threshold: number,
  roundCountsTo: number | null = null,
): Promise<DisclosureReport> {
  const disclosed: DisclosedTable[] = [];
  for (const table of tables) {
    const source = `rows_${table.name}`;
    await db.run('test: rows', `create or replace table ${quoteIdentifier(source)} as ${table.source}`);
    const columns = await db.query<{ column_name: string }>('test: columns', `describe ${quoteIdentifier(source)}`);
    disclosed.push({
      name: table.name,
      source,
      columns: columns.map((column) => column.column_name),
      orderBy: table.orderBy,
      links: table.links ?? [],
      rules: table.rules(threshold),
    });
  }
  return applyDisclosureControl(db, disclosed, { threshold, roundCountsTo, arms: { treated: 'IPS', control: 'TVR' } });
}
