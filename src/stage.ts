/**
 * What a pipeline stage is: a named step that reads some warehouse tables,
 * writes others, and reports its row counts.
 */
import type { StudyConfig } from './config/study-config.js';
import type { Database } from './db/database.js';

export interface StageContext {
  db: Database;
  study: StudyConfig;
  runId: string;
  landing: string;
}

export interface StageReport {
  stage: string;
  rowsOut: Record<string, number>;
  durationMs: number;
}

export interface Stage {
  name: string;
  reads: readonly string[];
  writes: readonly string[];
  /** Views the stage defines for later stages: read like tables, never counted (counting would compute them). */
  views?: readonly string[];
  run: (context: StageContext) => Promise<void>;
}

/** Runs a stage and counts the rows of every table it writes. */
export async function runStage(stage: Stage, context: StageContext): Promise<StageReport> {
  const started = performance.now();
  await stage.run(context);
  const rowsOut: Record<string, number> = {};
  for (const table of stage.writes) rowsOut[table] = await context.db.count(table);
  return { stage: stage.name, rowsOut, durationMs: Math.round(performance.now() - started) };
}
