/** runStages: stages two at once where their declarations allow it, in pipeline order otherwise; a failure stops the rest. */
import { describe, expect, test } from 'vitest';
import { studyPipeline } from '../../pipelines/study.js';
import { loadStudyConfig } from '../../src/config/study-config.js';
import type { Database } from '../../src/db/database.js';
import { PipelineFailure } from '../../src/errors.js';
import { setLogging } from '../../src/log.js';
import { concurrentGroups, runStages, stageDependencies } from '../../src/run/run-stages.js';
import type { Stage, StageReport } from '../../src/stage.js';
import { withDatabase } from '../support/delivery.js';

const study = loadStudyConfig('config/demo.yaml').config;
const NO_PROGRESS = { update: () => {}, stop: () => {} };

/** The pairs of stages that may run at once: neither waits for the other, directly or through others. */
function mayRunAtOnce(stages: readonly Stage[]): string[] {
  const dependencies = stageDependencies(stages);
  const after = (index: number): Set<number> => new Set(dependencies[index]!.flatMap((position) => [position, ...after(position)]));
  return stages.flatMap((stage, index) =>
    stages.slice(0, index).flatMap((earlier, position) => (after(index).has(position) ? [] : [`${earlier.name} | ${stage.name}`])),
  );
}

/** A promise with its resolve at hand. */
function latch() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** Waits for `promise`, failing with `message` if it has not settled after a while: two stages that should overlap, did not. */
async function within<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), 5_000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function stage(name: string, declared: Partial<Omit<Stage, 'name' | 'run'>>, run: Stage['run'] = async () => {}): Stage {
  return { name, reads: [], writes: [], ...declared, run };
}

async function runAll(db: Database, stages: Stage[]): Promise<StageReport[]> {
  return runStages(stages, { db, study, runId: 'test', landing: '.' }, NO_PROGRESS);
}

describe('stageDependencies', () => {
  test('in the study pipeline, the panel may run beside match and subgroups, and monitor beside costs; nothing else', () => {
    expect(mayRunAtOnce(studyPipeline)).toEqual(['panel | match', 'panel | subgroups', 'match | subgroups', 'costs | monitor']);
  });

  test('the study pipeline in groups that may run at once, as the bench times them', () => {
    expect(concurrentGroups(studyPipeline).map((group) => group.map((stage) => stage.name).join(' + '))).toEqual([
      'ingest',
      'link',
      'cohort',
      'panel + match + subgroups',
      'estimate',
      'costs + monitor',
      'disclosure',
    ]);
  });

  test('a stage waits for one that makes what it reads, reads what it makes, or makes a table of the same name', () => {
    const stages = [
      stage('a', { reads: ['source'], writes: ['cohort'] }),
      stage('reads what a makes', { reads: ['cohort'] }),
      stage('replaces what a reads', { writes: ['source'] }),
      stage('scratch', { scratch: ['work_*'] }),
      stage('same scratch', { scratch: ['work_1'] }),
      stage('apart', { writes: ['other'] }),
    ];
    expect(stageDependencies(stages)).toEqual([[], [0], [0], [], [3], []]);
  });
});

describe('runStages', () => {
  test('two stages that share no table run at once, the second on another connection; reports come in pipeline order', async () => {
    const bStarted = latch();
    const aMade = latch();
    const connections: Database[] = [];
    const reports = await withDatabase((db) =>
      runAll(db, [
        stage('a', { writes: ['a_table'] }, async ({ db: connection }) => {
          connections.push(connection);
          await within(bStarted.opened, 'b did not start while a ran');
          await connection.run('a', 'create table a_table as select 1 as x');
          aMade.open();
        }),
        stage('b', { writes: ['b_table'] }, async ({ db: connection }) => {
          connections.push(connection);
          bStarted.open();
          await aMade.opened;
          // a's table, made while b ran, is no breach of b's declaration
          await connection.run('b', 'create table b_table as select 2 as x');
        }),
      ]),
    );
    expect(reports.map((report) => [report.stage, report.rowsOut])).toEqual([
      ['a', { a_table: 1 }],
      ['b', { b_table: 1 }],
    ]);
    expect(connections[0]).not.toBe(connections[1]);
  });

  test('a stage that reads what another makes starts after it ends', async () => {
    const events: string[] = [];
    await withDatabase((db) =>
      runAll(db, [
        stage('make', { writes: ['cohort'] }, async ({ db: connection }) => {
          events.push('make started');
          await connection.run('make', 'create table cohort as select 1 as x');
          events.push('make ended');
        }),
        stage('read', { reads: ['cohort'] }, async () => {
          events.push('read started');
        }),
      ]),
    );
    expect(events).toEqual(['make started', 'make ended', 'read started']);
  });

  test('a table nobody declares still fails the stage that ran when it appeared', async () => {
    const error = await withDatabase((db) =>
      runAll(db, [
        stage('a', { writes: ['a_table'] }, async ({ db: connection }) => {
          await connection.run('a', 'create table a_table as select 1 as x; create table stray as select 1 as x');
        }),
      ]).catch((caught: unknown) => caught),
    );
    expect(error instanceof PipelineFailure && error.error).toEqual({ code: 'stage_contract', stage: 'a', tables: ['stray'] });
  });

  test('after a failure no other stage starts, the running one is awaited, and the failure is thrown', async () => {
    const events: string[] = [];
    const aFailing = latch();
    const error = await withDatabase((db) =>
      runAll(db, [
        stage('slow', { writes: ['slow_table'] }, async ({ db: connection }) => {
          aFailing.opened.then(() => events.push('slow saw the failure'));
          await within(aFailing.opened, 'the failing stage did not run beside slow');
          await connection.run('slow', 'create table slow_table as select 1 as x');
          events.push('slow ended');
        }),
        stage('failing', { writes: ['failing_table'] }, async () => {
          aFailing.open();
          throw new Error('failing stage');
        }),
        stage('after', { writes: ['after_table'] }, async () => {
          events.push('after started');
        }),
      ]).catch((caught: unknown) => caught),
    );
    expect((error as Error).message).toBe('failing stage');
    expect(events).toEqual(['slow saw the failure', 'slow ended']);
  });

  test("each stage's log lines carry its own name while two run at once", async () => {
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    setLogging({ format: 'json', quiet: false });
    const bLogged = latch();
    try {
      await withDatabase((db) =>
        runAll(db, [
          stage('a', { writes: [] }, async () => {
            await within(bLogged.opened, 'b did not run beside a');
          }),
          stage('b', { writes: [] }, async () => {
            bLogged.open();
          }),
        ]),
      );
    } finally {
      process.stderr.write = write;
      setLogging({ format: 'text' });
    }
    const lines = written.map((line) => JSON.parse(line) as { stage?: string; event: string; message: string });
    const described = lines.map((line) => `${line.event} ${line.stage}: ${line.message.replace(/ in [\d.]+ s$/, '')}`);
    expect(described.slice(0, 2)).toEqual(['stage_started a: [a]', 'stage_started b: [b]']);
    // the two finish in either order
    expect(described.slice(2).sort()).toEqual(['stage_finished a: [a] done', 'stage_finished b: [b] done']);
  });
});
