/**
 * Link stage: the months each extract covers (coverage_spans, from the
 * files' stated or data coverage) and how each extract's rows link to
 * persons (rows, superseded, in force, persons, linked, orphans, duplicate
 * keys, coverage); an extract without any delivered file (the optional
 * healthcare_costs) has no linkage row. SQL: sql/link/
 */
import type { Stage } from '../stage.js';

export const linkStage: Stage = {
  name: 'link',
  reads: [
    'ingested_files',
    'rejects',
    'extract_coverage',
    'persons',
    'benefit_spells',
    'employment_periods',
    'trajectories',
    'healthcare_costs',
  ],
  writes: ['coverage_spans', 'linkage'],
  run: async ({ db }) => {
    await db.runFile('link/01_merge_coverage_spans.sql');
    await db.runFile('link/02_count_linkage.sql');
  },
};
