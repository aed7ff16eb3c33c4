import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { studyPipeline, validationPipeline } from '../../pipelines/study.js';
import { SQL_DIR } from '../../src/db/database.js';
import { parseSqlContract, readSqlContract } from '../../src/db/sql-contract.js';
import { declares, type Stage } from '../../src/stage.js';

describe.each([
  ['study', studyPipeline],
  ['validation', validationPipeline],
])('the %s pipeline', (_name, stages) => {
  test('every table or view a stage reads is written by an earlier stage', () => {
    const written = new Set<string>();
    const unmet: string[] = [];
    for (const stage of stages) {
      for (const table of stage.reads) if (!written.has(table)) unmet.push(`${stage.name} reads ${table}`);
      for (const table of [...stage.writes, ...(stage.views ?? [])]) written.add(table);
    }
    expect(unmet).toEqual([]);
  });

  test('stage names are unique', () => {
    const names = stages.map((stage) => stage.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

/** The SQL directories a stage runs files from: its own, the export tables' for disclosure, the reference tables for cohort. */
const STAGE_SQL_DIRS: Record<string, string[]> = { disclosure: ['disclosure', 'export'], cohort: ['cohort', 'reference'] };

/** A stage that runs no SQL file of its own (subgroups writes from TypeScript) has none. */
function sqlFilesOf(stage: Stage): string[] {
  return (STAGE_SQL_DIRS[stage.name] ?? [stage.name]).flatMap((dir) =>
    (existsSync(join(SQL_DIR, dir)) ? readdirSync(join(SQL_DIR, dir)) : [])
      .filter((file) => file.endsWith('.sql'))
      .map((file) => `${dir}/${file}`),
  );
}

/** What a SQL file's header names that its stage does not declare. */
function undeclared(stage: Stage, file: string): string[] {
  const { reads, writes } = readSqlContract(file);
  return [
    ...reads.filter((table) => !stage.reads.includes(table) && !declares(stage, table)).map((table) => `${file} reads ${table}`),
    ...writes.filter((table) => !declares(stage, table)).map((table) => `${file} writes ${table}`),
  ];
}

describe('table contracts', () => {
  test.each(studyPipeline.map((stage) => [stage.name, stage] as const))(
    "the Reads: and Writes: headers of the %s stage's SQL files agree with its declaration",
    (_name, stage) => {
      expect(sqlFilesOf(stage).flatMap((file) => undeclared(stage, file))).toEqual([]);
    },
  );

  test('every stage but subgroups runs SQL files of its own', () => {
    expect(studyPipeline.filter((stage) => sqlFilesOf(stage).length === 0).map((stage) => stage.name)).toEqual(['subgroups']);
  });

  test('a header that names a table its stage does not declare is caught', () => {
    const stage = studyPipeline.find((candidate) => candidate.name === 'link')!;
    const { reads, writes } = parseSqlContract(
      '-- Counts.\n-- Reads: coverage_spans, cohort. Writes: linkage,\n-- scratch_table (temporary).\nselect 1;',
      'x.sql',
    );
    expect({ reads, writes }).toEqual({ reads: ['coverage_spans', 'cohort'], writes: ['linkage', 'scratch_table'] });
    expect(reads.filter((table) => !stage.reads.includes(table) && !declares(stage, table))).toEqual(['cohort']);
    expect(writes.filter((table) => !declares(stage, table))).toEqual(['scratch_table']);
  });

  test('a SQL file without a Reads: or Writes: clause is an error', () => {
    expect(() => parseSqlContract('-- Counts things.\nselect 1;', 'x.sql')).toThrow('x.sql: its header has no "Reads: ...." clause');
  });
});
