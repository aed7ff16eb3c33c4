/**
 * The study pipeline: its stages, in order. Disclosure control and publish
 * follow in src/publish/, which is the only writer of export/.
 */
import { cohortStage } from '../src/cohort/index.js';
import { costsStage } from '../src/costs/index.js';
import { estimateStage } from '../src/estimate/index.js';
import { ingestStage } from '../src/ingest/stage.js';
import { linkStage } from '../src/link/index.js';
import { matchStage } from '../src/match/index.js';
import { monitorStage } from '../src/monitor/index.js';
import { panelStage } from '../src/panel/index.js';
import type { Stage } from '../src/stage.js';
import { subgroupsStage } from '../src/subgroups/index.js';

export const studyPipeline: readonly Stage[] = [
  ingestStage,
  linkStage,
  cohortStage,
  panelStage,
  matchStage,
  subgroupsStage,
  estimateStage,
  costsStage,
  monitorStage,
];

/** `ipslink validate`: ingest and data-quality checks only. */
export const validationPipeline: readonly Stage[] = [ingestStage, linkStage];
