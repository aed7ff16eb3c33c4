/** The ingest stage: loads the study's deliveries into the warehouse (see ./index.ts). */
import type { Stage } from '../stage.js';
import { ingestDeliveries } from './index.js';

export const ingestStage: Stage = {
  name: 'ingest',
  reads: [],
  writes: ['persons', 'benefit_spells', 'employment_periods', 'trajectories', 'ingested_files', 'rejects', 'extract_coverage'],
  run: async ({ db, study, runId, landing }) => {
    await ingestDeliveries(db, { landing, deliveries: study.deliveries, runId });
  },
};
