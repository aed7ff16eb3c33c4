/**
 * Panel stage: monthly outcomes per cohort person from months_before before
 * to months_after after the index month, with the `observed` flag every
 * estimator filters on. Built in chunks of contiguous person_ids
 * (panel_chunks, which numbers the persons in person_id order: person_key),
 * about PANEL_ROWS_PER_CHUNK rows each, so the memory it needs does not grow
 * with the cohort; the rows are the same whatever the chunks. SQL: sql/panel/01_build_panel.sql
 */
import type { StudyConfig } from '../config/study-config.js';
import type { Database } from '../db/database.js';
import type { Stage } from '../stage.js';

/**
 * Panel rows built per statement. A chunk's sort and joins hold its rows uncompressed: at 60,000 persons (2.2 M
 * panel rows) the run's memory while the panel ran peaked at 870-956 MiB as one chunk of 2^23 rows and 740-822 MiB
 * as three of 2^20 (five runs each). More chunks cost no time: at 1,000,000 persons the panel alone took 20.5 s in
 * chunks of 2^20 against 22.4 s in chunks of 2^23, since person_month_work, the largest table a chunk joins, is
 * stored in person_id order, so its scan skips the other persons' row groups (docs/scale-history.md: unordered,
 * every chunk read the whole table).
 */
const PANEL_ROWS_PER_CHUNK = 1 << 20;

/** Builds panel_person_month from the cohort, `rowsPerChunk` panel rows per statement. */
export async function buildPanel(db: Database, study: StudyConfig, rowsPerChunk = PANEL_ROWS_PER_CHUNK): Promise<void> {
  const { months_before: monthsBefore, months_after: monthsAfter } = study.follow_up;
  const personsPerChunk = Math.max(1, Math.floor(rowsPerChunk / (monthsBefore + monthsAfter + 1)));
  await db.run(
    'panel: chunks',
    `drop table if exists panel_person_month;
     create or replace temp table panel_chunks as
     select person_id, (position // $persons_per_chunk)::integer as chunk, position::integer as person_key
     from (select person_id, row_number() over (order by person_id) - 1 as position from cohort)`,
    { persons_per_chunk: personsPerChunk },
  );
  const [{ chunks }] = (await db.query<{ chunks: number }>(
    'panel: count chunks',
    'select greatest(coalesce(max(chunk) + 1, 0), 1)::integer as chunks from panel_chunks',
  )) as [{ chunks: number }];
  for (let chunk = 0; chunk < chunks; chunk++) {
    await db.runFile('panel/01_build_panel.sql', {
      chunk,
      months_before: monthsBefore,
      months_after: monthsAfter,
      qualifying_benefits: study.population.qualifying_benefits,
    });
    // Each chunk is compressed as it is made (Database.checkpointRunCatalog). Held uncompressed, the panel outgrew
    // DuckDB's memory at 1,000,000 persons and spilled, and the one checkpoint at the estimate stage's start read it
    // back: 10.8-17.7 s there, against 1.2-1.3 s after these (about 90 ms a chunk once match and subgroups are done,
    // which hold some off while they write); the stages after ingest 186.6 -> 172.5 s (medians of three).
    await db.checkpointRunCatalog('panel: compress the chunk');
  }
  await db.run('panel: drop chunks', 'drop table panel_chunks');
}

export const panelStage: Stage = {
  name: 'panel',
  reads: ['cohort', 'coverage_spans', 'person_month_work', 'benefit_spells'],
  writes: ['panel_person_month'],
  scratch: ['panel_chunks'],
  run: ({ db, study }) => buildPanel(db, study),
};
