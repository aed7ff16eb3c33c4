import { describe, expect, test } from 'vitest';
import { studyPipeline, validationPipeline } from '../../pipelines/study.js';

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
