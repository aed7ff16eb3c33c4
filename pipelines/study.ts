/**
 * The study pipeline: its stages, in order. Disclosure control comes last:
 * publish (src/publish/) writes to export/ only the tables it disclosed.
 * A stage starts once the earlier stages it depends on by their declared
 * tables have ended, two at most at once (src/run/run-stages.ts).
 */
import { cohortStage } from '../src/cohort/index.js';
import { costsStage } from '../src/costs/index.js';
import { disclosureStage } from '../src/disclosure/index.js';
import { estimateStage } from '../src/estimate/index.js';
import { ingestStage } from '../src/ingest/index.js';
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
  disclosureStage,
];

/** The tables the warehouse file keeps between runs (what was delivered); the others are each run's own. */
export const tablesKeptBetweenRuns: readonly string[] = studyPipeline
  .filter((stage) => stage.keptBetweenRuns)
  .flatMap((stage) => stage.writes);

/** `ipslink validate`: ingest and data-quality checks only. */
export const validationPipeline: readonly Stage[] = [ingestStage, linkStage];
