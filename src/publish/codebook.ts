/**
 * What every output file and column means, from the two registries (export
 * tables in disclosure/export-tables.ts, person-level tables in
 * restricted-tables.ts): export/codebook.md, and the descriptions stored in
 * each Parquet file's key-value metadata. A test checks the registries
 * against the files a run writes, so the codebook cannot drift from the data.
 */
import { EXPORT_TABLES, type ExportTable } from '../disclosure/export-tables.js';
import { RESTRICTED_TABLES, type RestrictedTable } from './restricted-tables.js';

export interface OutputDescription {
  description: string;
  columns: Record<string, string>;
}

/** Export files that are not tables of columns (besides the Arrow copies of tables). */
const OTHER_EXPORT_FILES: Record<string, string> = {
  'disclosure.json':
    'every export table, the disclosure rules run on it and the cells each suppressed; the rounds run until counts shared by tables agree; warnings to review before release',
  'tables/':
    'table1_baseline, table2_effects, table3_costs, attrition, linkage, follow_up, (with subgroups) table4_subgroups, monitoring_ever_employed and monitoring_at_work, each as .csv and .md',
  'report.html': 'one self-contained page: study settings, the tables and the figures (SVG)',
  'codebook.md': 'this file',
};

/** An export table's description and column descriptions, for its files' metadata. */
export function describeExportTable(table: ExportTable): OutputDescription {
  return {
    description: table.description,
    columns: Object.fromEntries(Object.entries(table.columns).map(([name, column]) => [name, column.description])),
  };
}

export function describeRestrictedTable(table: RestrictedTable): OutputDescription {
  return { description: table.description, columns: { ...table.columns } };
}

/** export/codebook.md: every output file and column. */
export function renderCodebook(tables: readonly ExportTable[] = EXPORT_TABLES): string {
  const lines = [
    '# Codebook',
    '',
    'Every file a published run writes, and what each column means. Generated from src/disclosure/export-tables.ts and src/publish/restricted-tables.ts.',
    '',
    '## export/',
    '',
  ];
  for (const table of tables.filter((candidate) => candidate.arrow)) {
    lines.push(`- \`${table.name}.arrow\`: the rows of ${table.name}.parquet as an Arrow IPC file`);
  }
  for (const [file, meaning] of Object.entries(OTHER_EXPORT_FILES)) lines.push(`- \`${file}\`: ${meaning}`);
  lines.push('');
  for (const table of tables) {
    lines.push(`### ${table.name}.parquet`, '', table.description, '', '| column | meaning | unit |', '| --- | --- | --- |');
    for (const [name, column] of Object.entries(table.columns))
      lines.push(`| \`${name}\` | ${column.description} | ${column.unit ?? ''} |`);
    lines.push('');
  }
  lines.push('## restricted/', '', 'Person-level files: they never leave the secure area.', '');
  for (const table of RESTRICTED_TABLES) {
    lines.push(`### ${table.file}`, '', table.description, '', '| column | meaning |', '| --- | --- |');
    for (const [name, meaning] of Object.entries(table.columns)) lines.push(`| \`${name}\` | ${meaning} |`);
    lines.push('');
  }
  return lines.join('\n');
}
