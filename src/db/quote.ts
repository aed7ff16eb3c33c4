/**
 * Quoting for generated SQL, apart from database.ts so that modules that only
 * build SQL (the contracts) do not load DuckDB: `ipslink runs` and `status`
 * read the config, which reads the contracts, and stay fast.
 */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
