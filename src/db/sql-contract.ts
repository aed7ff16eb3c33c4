/**
 * What a SQL file says it reads and writes. Every SQL file a stage runs
 * opens with a comment header whose `Reads:` and `Writes:` clauses name
 * tables, each clause ending at a full stop and free to run over several
 * comment lines; words in parentheses are notes, not tables ("(none)",
 * "(insert)", "(temporary)"). The pipeline test holds each stage's
 * declaration to these headers, and the disclosure stage takes the tables
 * its export SQL reads from them.
 */
import { readSqlFile } from './database.js';

export interface SqlContract {
  reads: string[];
  writes: string[];
}

/** The header of SQL text: its leading comment lines, joined into one line without the `--`. */
function headerText(sql: string): string {
  const lines: string[] = [];
  for (const line of sql.split('\n')) {
    if (!line.startsWith('--')) break;
    lines.push(line.replace(/^--\s?/, ''));
  }
  return lines.join(' ').replace(/\([^)]*\)/g, '');
}

function clause(header: string, name: 'Reads' | 'Writes', file: string): string[] {
  const match = new RegExp(`\\b${name}:([^.]*)\\.(\\s|$)`).exec(header);
  if (!match) throw new Error(`${file}: its header has no "${name}: ...." clause`);
  return match[1]!
    .split(',')
    .map((table) => table.trim())
    .filter((table) => table.length > 0);
}

export function parseSqlContract(sql: string, file: string): SqlContract {
  const header = headerText(sql);
  return { reads: clause(header, 'Reads', file), writes: clause(header, 'Writes', file) };
}

/** The contract of a file under sql/. */
export function readSqlContract(file: string): SqlContract {
  return parseSqlContract(readSqlFile(file), file);
}
