/**
 * Panel stage: monthly outcomes per cohort person from months_before before
 * to months_after after the index month, with the `observed` flag every
 * estimator filters on. SQL: sql/panel/01_build_panel.sql
 */
import type { Stage } from '../stage.js';

export const panelStage: Stage = {
  name: 'panel',
  reads: ['cohort', 'coverage_spans', 'person_month_work', 'benefit_spells'],
  writes: ['panel_person_month'],
  run: async ({ db, study }) => {
    await db.runFile('panel/01_build_panel.sql', {
      months_before: study.follow_up.months_before,
      months_after: study.follow_up.months_after,
      min_hours_any: study.outcomes.min_hours_any,
      min_hours_48h: study.outcomes.min_hours_48h,
      qualifying_benefits: study.population.qualifying_benefits,
    });
  },
};
