/**
 * Link stage: how each extract's rows link to persons (rows, persons,
 * linked, orphans, duplicate keys). SQL: sql/link/01_count_linkage.sql
 */
import type { Stage } from '../stage.js';

export const linkStage: Stage = {
  name: 'link',
  reads: ['ingested_files', 'rejects', 'persons', 'benefit_spells', 'employment_periods', 'trajectories'],
  writes: ['linkage'],
  run: async ({ db }) => {
    await db.runFile('link/01_count_linkage.sql');
  },
};
