/** runStage holds a stage to its declaration: what it creates, replaces or drops must be declared. */
import { describe, expect, test } from 'vitest';
import { loadStudyConfig } from '../src/config/study-config.js';
import type { Database } from '../src/db/database.js';
import { PipelineFailure } from '../src/errors.js';
import { runStage, type Stage } from '../src/stage.js';
import { withDatabase } from './support/delivery.js';

const study = loadStudyConfig('config/demo.yaml').config;

async function run(db: Database, stage: Omit<Stage, 'name' | 'reads'>) {
  return runStage({ name: 'toy', reads: [], ...stage }, { db, study, runId: 'test', landing: '.' });
}

async function failure(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error instanceof PipelineFailure ? error.error : error;
  }
  return null;
}

describe('runStage', () => {
  test('counts the rows of what a stage declares it writes, with scratch tables (by prefix) and views beside them', async () => {
    const report = await withDatabase((db) =>
      run(db, {
        writes: ['result'],
        views: ['result_view'],
        scratch: ['work_*'],
        run: async ({ db: database }) =>
          database.run(
            'toy',
            `create temp table work_1 as select 1 as x; create table result as select * from range(3);
             create view result_view as select * from result`,
          ),
      }),
    );
    expect(report.rowsOut).toEqual({ result: 3 });
  });

  test('fails on a table the stage creates without declaring it', async () => {
    const error = await withDatabase((db) =>
      failure(() =>
        run(db, {
          writes: ['result'],
          run: async ({ db: database }) => database.run('toy', 'create table result as select 1; create table stray as select 1'),
        }),
      ),
    );
    expect(error).toEqual({ code: 'stage_contract', stage: 'toy', tables: ['stray'] });
  });

  test('fails on a table of another stage it replaces or drops', async () => {
    const error = await withDatabase(async (db) => {
      await db.run('earlier stage', 'create table cohort as select 1 as x; create table panel as select 1 as x');
      return failure(() =>
        run(db, {
          writes: [],
          run: async ({ db: database }) => database.run('toy', 'create or replace table cohort as select 2 as x; drop table panel'),
        }),
      );
    });
    expect(error).toEqual({ code: 'stage_contract', stage: 'toy', tables: ['cohort', 'panel'] });
  });
});
