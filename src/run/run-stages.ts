/**
 * Runs a pipeline's stages, two at once where their declarations allow it.
 * A stage waits for every earlier stage that makes a table or view it reads,
 * that reads one it makes, or that makes one of the same name (scratch
 * included: stageDependencies). Stages start in pipeline order, at most
 * MAX_STAGES_AT_ONCE at a time, the second on a sibling connection of the
 * warehouse. In the study pipeline the panel runs beside match and then
 * subgroups, whose statistics are JavaScript on one core while the panel
 * keeps DuckDB's threads busy (at 1,000,000 persons the three took 63.4 and
 * 73.4 s one after another, 59.6 and 59.9 s so: docs/scale-history.md), and monitor
 * beside costs. Every statement's result is the same whatever runs beside
 * it (explicit orders, exact sums), so the outputs are the same bytes.
 * Macros are not declared: a stage that calls another's macro reads one of
 * that stage's tables too (cohort's hour macros: panel, monitor).
 * While stages run at once, the process's CPU time of those moments is
 * split evenly among them (StageReport.cpuMs). When a stage fails, no other
 * starts; those running are awaited, and the first failure is thrown.
 */
import pLimit from 'p-limit';
import type { Database } from '../db/database.js';
import { logInfo, withLogContext } from '../log.js';
import { type Progress, progressEnabled } from '../progress.js';
import { runStage, type Stage, type StageContext, type StageReport } from '../stage.js';

/** Two: the machine class has two cores, and each stage's DuckDB statements use them all (docs/scale-history.md). */
export const MAX_STAGES_AT_ONCE = 2;

/** For each stage, the earlier stages it must wait for (their positions), from what each declares. */
export function stageDependencies(stages: readonly Stage[]): number[][] {
  return stages.map((stage, index) =>
    stages
      .slice(0, index)
      .flatMap((earlier, position) =>
        clash(made(earlier), stage.reads) || clash(earlier.reads, made(stage)) || clash(made(earlier), made(stage)) ? [position] : [],
      ),
  );
}

/**
 * The stages as groups that may run at once (neither waits for the other, directly or through others), joined
 * where they chain (the panel beside match, match before subgroups, the panel beside subgroups), in pipeline order.
 * A stage alone is a group of one. The bench times the groups (bench/one-size.ts): a stage's own wall time depends
 * on what ran beside it.
 */
export function concurrentGroups(stages: readonly Stage[]): Stage[][] {
  // every stage each one waits for, directly or through others
  const waitsFor = stageDependencies(stages).map((direct) => new Set(direct));
  waitsFor.forEach((waits) => {
    for (const position of [...waits]) for (const earlier of waitsFor[position]!) waits.add(earlier);
  });
  const groups: Stage[][] = [];
  const groupOf: number[] = [];
  stages.forEach((stage, index) => {
    // an earlier stage it does not wait for may run beside it
    const beside = groupOf.findIndex((_, position) => !waitsFor[index]!.has(position));
    const group = beside >= 0 ? groupOf[beside]! : groups.push([]) - 1;
    groups[group]!.push(stage);
    groupOf.push(group);
  });
  return groups;
}

/** What a stage creates, replaces or drops: its writes, views and scratch (`name_*` for every name with that prefix). */
function made(stage: Stage): string[] {
  return [...stage.writes, ...(stage.views ?? []), ...(stage.scratch ?? [])];
}

function clash(names: readonly string[], others: readonly string[]): boolean {
  return names.some((name) => others.some((other) => sameTable(name, other)));
}

/** Whether two names (either one may be a `prefix*` pattern) can stand for the same table. */
function sameTable(name: string, other: string): boolean {
  const prefix = (value: string) => (value.endsWith('*') ? value.slice(0, -1) : null);
  const [namePrefix, otherPrefix] = [prefix(name), prefix(other)];
  if (namePrefix !== null && otherPrefix !== null) return namePrefix.startsWith(otherPrefix) || otherPrefix.startsWith(namePrefix);
  if (namePrefix !== null) return other.startsWith(namePrefix);
  if (otherPrefix !== null) return name.startsWith(otherPrefix);
  return name === other;
}

/**
 * Runs the stages (above) and returns their reports in pipeline order. `progress` counts the stages finished and
 * names those running; each stage's log lines carry its name.
 */
export async function runStages(stages: readonly Stage[], context: StageContext, progress: Progress): Promise<StageReport[]> {
  const dependencies = stageDependencies(stages);
  const limit = pLimit(MAX_STAGES_AT_ONCE);
  const idle: Database[] = [context.db];
  const siblings: Database[] = [];
  /** The running stages, each with the stages that ran beside it so far. */
  const running = new Map<Stage, Set<Stage>>();
  const cpu = new CpuShares();
  const started = performance.now();
  let finished = 0;
  let failure: { error: unknown } | undefined;
  const showProgress = () => progress.update(finished, [...running.keys()].map((stage) => stage.name).join(' + '));

  const runOne = async (stage: Stage): Promise<StageReport> => {
    if (failure) throw failure.error;
    let db = idle.shift();
    if (!db) {
      db = await context.db.sibling();
      siblings.push(db);
    }
    const beside = new Set(running.keys());
    for (const other of beside) running.get(other)!.add(stage);
    cpu.share(running.keys());
    running.set(stage, beside);
    const startMs = Math.round(performance.now() - started);
    showProgress();
    try {
      return await withLogContext({ stage: stage.name }, async () => {
        if (!progressEnabled()) logInfo(`[${stage.name}]`, { event: 'stage_started' });
        const measured = await runStage(stage, { ...context, db }, beside);
        cpu.share(running.keys());
        const report = { ...measured, cpuMs: Math.round(cpu.taken(stage)), startMs };
        logInfo(`[${stage.name}] done in ${(report.durationMs / 1000).toFixed(1)} s`, {
          event: 'stage_finished',
          counts: report.rowsOut,
          duration_ms: report.durationMs,
          cpu_ms: report.cpuMs,
          peak_rss_mb: report.peakRssMb,
        });
        return report;
      });
    } catch (error) {
      failure ??= { error };
      throw error;
    } finally {
      cpu.share(running.keys());
      running.delete(stage);
      // the warehouse's own connection first
      if (db === context.db) idle.unshift(db);
      else idle.push(db);
      finished++;
      showProgress();
    }
  };

  const reports: Promise<StageReport>[] = [];
  try {
    for (const [index, stage] of stages.entries()) {
      await Promise.all(dependencies[index]!.map((position) => reports[position]));
      const report = limit(() => runOne(stage));
      // awaited below: a failure meanwhile is not left unhandled
      report.catch(() => {});
      reports.push(report);
    }
    return await Promise.all(reports);
  } catch (error) {
    failure ??= { error };
    throw failure.error;
  } finally {
    await Promise.allSettled(reports);
    for (const sibling of siblings) sibling.close();
  }
}

/** The process's CPU time, each span since the last call split evenly among the stages running in it. */
class CpuShares {
  private last = process.cpuUsage();
  private readonly totals = new Map<Stage, number>();

  /** Gives each of `running` its share of the CPU time since the last call, in ms. */
  share(running: Iterable<Stage>): void {
    const now = process.cpuUsage();
    const stages = [...running];
    const spent = (now.user - this.last.user + now.system - this.last.system) / 1000;
    this.last = now;
    for (const stage of stages) this.totals.set(stage, (this.totals.get(stage) ?? 0) + spent / stages.length);
  }

  taken(stage: Stage): number {
    return this.totals.get(stage) ?? 0;
  }
}
