/**
 * What a pipeline stage is: a named step that reads some warehouse tables,
 * writes others, and reports its row counts. Its declaration is a contract
 * runStage enforces: a table (or view) the stage creates, replaces or drops
 * must be among its writes, views or scratch, and the SQL headers
 * of its files must agree (test/pipelines/study.test.ts). The declarations
 * also say which stages may run at once (src/run/run-stages.ts).
 */
import type { Resources } from './config/resources.js';
import type { StudyConfig } from './config/study-config.js';
import type { Database } from './db/database.js';
import { fail, type PipelineFailure } from './errors.js';

export interface StageContext {
  db: Database;
  study: StudyConfig;
  runId: string;
  landing: string;
  /** What the run may use of the machine (src/config/resources.ts); left out (tests), each stage's defaults. */
  resources?: Resources;
  /** `ipslink validate` only: ingest reports a refused delivery here and goes on with the others. */
  onRefusedDelivery?: (delivery: string, failure: PipelineFailure) => void;
}

export interface StageReport {
  stage: string;
  rowsOut: Record<string, number>;
  durationMs: number;
  /**
   * CPU time the process spent on the stage (user + system, every thread: DuckDB's and Node's), in ms; over
   * durationMs, how many of the machine's cores it kept busy on average. While stages run at once
   * (src/run/run-stages.ts), the CPU time of those moments is split evenly among them, so the stages' cpuMs add up
   * to the CPU time they took in all.
   */
  cpuMs: number;
  /** The process's peak resident memory so far, in MiB, when the stage ended: it rises in the stage that used it. */
  peakRssMb: number;
  /** When the stage started, in ms after the first stage of its pipeline started (runStages). */
  startMs?: number;
}

export interface Stage {
  name: string;
  /** Tables and views of earlier stages it reads. */
  reads: readonly string[];
  /** Tables it writes for later stages or for publish; their rows are counted. */
  writes: readonly string[];
  /** Views the stage defines for later stages: read like tables, never counted (counting would compute them). */
  views?: readonly string[];
  /** Working tables no other stage reads (temporary or not); `name_*` stands for every name with that prefix. */
  scratch?: readonly string[];
  /**
   * Whether its writes are kept in the warehouse file for later runs (ingest's: what was delivered). Every other
   * stage's tables are the run's own, made again by every run, and live in the run's in-memory catalog
   * (Database.attachRunCatalog).
   */
  keptBetweenRuns?: boolean;
  run: (context: StageContext) => Promise<void>;
}

/**
 * Runs a stage, fails on a table it touched without declaring it, and counts the rows of every table it writes.
 * `beside` holds the stages that ran at the same time, on other connections, at any moment of this one (filled
 * while it runs): a table one of them declares may have changed beside this stage.
 */
export async function runStage(stage: Stage, context: StageContext, beside: ReadonlySet<Stage> = new Set()): Promise<StageReport> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const before = await snapshotTables(context.db);
  await (stage.keptBetweenRuns ? context.db.inFileCatalog(() => stage.run(context)) : stage.run(context));
  const touched = changedTables(before, await snapshotTables(context.db));
  const undeclared = touched.filter((table) => !declares(stage, table) && ![...beside].some((other) => declares(other, table)));
  if (undeclared.length) fail({ code: 'stage_contract', stage: stage.name, tables: undeclared });
  const rowsOut: Record<string, number> = {};
  for (const table of stage.writes) rowsOut[table] = await context.db.count(table);
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  return {
    stage: stage.name,
    rowsOut,
    durationMs: Math.round(performance.now() - started),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    peakRssMb,
  };
}

/** Whether the stage declares a table among what it writes, defines or keeps as scratch. */
export function declares(stage: Stage, table: string): boolean {
  return [...stage.writes, ...(stage.views ?? []), ...(stage.scratch ?? [])].some((name) =>
    name.endsWith('*') ? table.startsWith(name.slice(0, -1)) : table === name,
  );
}

/**
 * Every table and view with its oid, which changes when it is replaced.
 * Rows inserted into a table are not seen here (DuckDB's size estimate
 * moves on a checkpoint too); the SQL headers declare those writes.
 */
async function snapshotTables(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ name: string; version: string }>(
    'stage: list tables',
    `select table_name as name, table_oid::varchar as version from duckdb_tables() where not internal
     union all
     select view_name, view_oid::varchar from duckdb_views() where not internal`,
  );
  return new Map(rows.map((row) => [row.name, row.version]));
}

function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).sort();
}
