/**
 * CSV text for the files and output ipslink writes itself (study tables,
 * query results, simulation summaries): comma separated, double-quote
 * quoting where needed, an empty field for null, dates as YYYY-MM-DD.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row, each ending in a newline. */
export function toCsv(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return `${[columns, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;
}

/** Rows given as objects, in the key order of the first row. */
export function objectsToCsv(rows: readonly object[]): string {
  const columns = Object.keys(rows[0] ?? {});
  return toCsv(
    columns,
    rows.map((row) => columns.map((column) => (row as Record<string, unknown>)[column])),
  );
}
