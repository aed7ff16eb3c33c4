/**
 * Writes a run (DESIGN §5), write-audit-publish: person-level tables to
 * restricted/, the tables the disclosure stage disclosed to export/ (nothing
 * else goes there), the study tables and report built from those, all in a
 * hidden partial directory (stageRun); after the audit, manifest.json last
 * and one rename into runs/ (finishRun); if the audit passed, `current` is
 * moved by one atomic rename of a fresh symlink (pointCurrentAt). A failed,
 * failing or killed run leaves `current` where it was. A run directory is
 * owner-only (0700/0600) but for its export/ (0755/0644); src/file-modes.ts
 * says why.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { StudyConfig } from '../config/study-config.js';
import type { Database } from '../db/database.js';
import { quoteIdentifier, quoteLiteral, sqlList } from '../db/database.js';
import type { DisclosureReport } from '../disclosure/disclosure-control.js';
import { EXPORT_TABLES, type ExportTable } from '../disclosure/export-tables.js';
import { readDisclosureReport } from '../disclosure/index.js';
import { ensurePrivateDir, makeExportReadable, makePrivate, PRIVATE_FILE_MODE } from '../file-modes.js';
import { sha256OfFile } from '../ingest/delivery-manifest.js';
import { writeStudyReport } from '../report/study-report.js';
import { describeExportTable, describeRestrictedTable, type OutputDescription, renderCodebook } from './codebook.js';
import type { OutputFile, RunManifest } from './manifest.js';
import { partitionRangeSql, RESTRICTED_TABLES, type RestrictedTable, restrictedRowsSql, storedInOrderSql } from './restricted-tables.js';

export interface StageRunRequest {
  db: Database;
  outputDir: string;
  runId: string;
  study: StudyConfig;
}

export interface StagedRun {
  /** `runs/.partial-<id>`, renamed to `runs/<id>` by finishRun. */
  partialDir: string;
  exportDir: string;
  disclosure: DisclosureReport;
  outputs: OutputFile[];
}

/**
 * Writes Parquet with the output's description and column descriptions (codebook.ts) in its key-value metadata.
 * zstd at level 1, not DuckDB's default 3: a quarter of the 1,000,000-person panel's files written in 4.8
 * instead of 6.3 s, and 121 instead of 125 MB.
 */
async function copyParquet(db: Database, source: string, path: string, described: OutputDescription, options = ''): Promise<void> {
  const metadata = `kv_metadata {description: ${quoteLiteral(described.description)}, column_descriptions: ${quoteLiteral(JSON.stringify(described.columns))}}`;
  await db.run(
    `publish: ${path}`,
    `copy (${source}) to ${quoteLiteral(path)} (format parquet, compression zstd, compression_level 1, ${metadata}${options ? `, ${options}` : ''})`,
  );
}

/**
 * A partition of a table stored in order holds each person once (the panel's event months), so the Parquet writer's
 * dictionary of a text column (person_id) grows until the writer gives it up and writes the values plain: it is not
 * tried. The same bytes; eight of the 1,000,000-person panel's months on one thread 1.94-2.03 -> 1.85-1.88 s.
 */
const NO_STRING_DICTIONARY = 'string_dictionary_page_size_limit 1';

/** Partitions written by one COPY of a table stored in order: each such COPY scans the whole table once. */
const PARTITIONS_PER_COPY = 8;

/**
 * A partitioned table is laid out as DuckDB's hive partitioning lays it out,
 * `<column>=<value>/data_0.parquet` with the column in the path only. One
 * partitioned COPY on several threads fills a file from every thread, so its
 * row order, and its bytes, could differ from run to run; sorted in the COPY,
 * on one thread and in groups of partitions, its sorts and open partition
 * buffers took up to 1,886 of 2,135 MiB at 1,000,000 persons and ran out at
 * 2,000,000. So the COPYs run on one thread each, side by side on sibling
 * connections, as many as the run has threads; a file's bytes do not depend
 * on how many ran at once.
 * A table stored in the order of its partitions' rows (storedInOrderSql:
 * the panel, as the panel stage writes it) is written PARTITIONS_PER_COPY
 * partitions per COPY, unsorted: one scan on one thread keeps the stored
 * order. A file's row groups end where DuckDB flushes the COPY's partitions
 * (every 524,288 rows of them together, partitioned_write_flush_threshold),
 * so they follow from which partitions the COPY writes: a fixed run of
 * consecutive values, never the threads or the memory limit. At 1,000,000
 * persons, staging a run (the panel's 61 months most of it) took 26.3-27.0
 * s (50 s of CPU) with one sorted COPY per month, each a scan of the whole
 * panel, and 15.0-15.2 s (28 s) with eight COPYs: the same rows in the same
 * order. A table stored otherwise is written one sorted COPY per partition.
 */
export async function writePartitioned(db: Database, dir: string, table: RestrictedTable & { partitionBy: string }): Promise<void> {
  const [setting] = await db.query<{ threads: number }>('publish: threads', "select current_setting('threads')::integer as threads");
  const threads = setting!.threads;
  const partitions = await db.query<{ value: number }>(
    `publish: ${table.file} partitions`,
    `select distinct ${quoteIdentifier(table.partitionBy)} as value from ${quoteIdentifier(table.from)} order by value`,
  );
  const [stored] = await db.query<{ in_order: boolean }>(`publish: ${table.file} stored order`, storedInOrderSql(table));
  const described = describeRestrictedTable(table);
  ensurePrivateDir(dir);
  const partitionDir = (partition: { value: number }) => {
    const path = join(dir, `${table.partitionBy}=${partition.value}`);
    ensurePrivateDir(path);
    return path;
  };
  const copies: ((lane: Database) => Promise<void>)[] = stored?.in_order
    ? chunked(partitions, PARTITIONS_PER_COPY).map((group) => async (lane) => {
        group.forEach(partitionDir);
        const rows = partitionRangeSql(table, group[0]!.value, group.at(-1)!.value);
        await copyParquet(
          lane,
          rows,
          dir,
          described,
          `partition_by (${quoteIdentifier(table.partitionBy)}), filename_pattern 'data_{i}', overwrite_or_ignore, ${NO_STRING_DICTIONARY}`,
        );
      })
    : partitions.map((partition) => async (lane) => {
        await copyParquet(lane, restrictedRowsSql(table, partition), join(partitionDir(partition), 'data_0.parquet'), described);
      });
  await db.run('publish: one thread', 'set threads = 1');
  const siblings = await Promise.all(Array.from({ length: Math.max(0, Math.min(threads, copies.length) - 1) }, () => db.sibling()));
  try {
    // every lane settles before the siblings close (none is closed with a COPY running); the first failure is raised
    const lanes = await Promise.allSettled(
      [db, ...siblings].map(async (lane) => {
        for (let copy = copies.shift(); copy; copy = copies.shift()) await copy(lane);
      }),
    );
    const failed = lanes.find((lane) => lane.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    for (const sibling of siblings) sibling.close();
    await db.run('publish: threads again', `set threads = ${threads}`);
  }
}

/** `items` in consecutive groups of `size`, the last one shorter. */
function chunked<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, index) => items.slice(index * size, (index + 1) * size));
}

/**
 * Writes the disclosed rows of the export tables (`disclosed_<name>`, made
 * by the disclosure stage) to export/, as Parquet and, where the registry
 * asks, Arrow IPC, with the codebook describing them.
 */
export async function writeExportTables(db: Database, exportDir: string, tables: readonly ExportTable[] = EXPORT_TABLES): Promise<void> {
  for (const table of tables) {
    const source = `select * from ${quoteIdentifier(`disclosed_${table.name}`)}`;
    await copyParquet(db, source, join(exportDir, `${table.name}.parquet`), describeExportTable(table));
    if (table.arrow) {
      // apache-arrow is loaded when the first Arrow file is written, not with every start of the CLI
      const { writeArrowFile } = await import('./arrow-file.js');
      await writeArrowFile(db, `publish: ${table.name}.arrow`, source, join(exportDir, `${table.name}.arrow`), describeExportTable(table));
    }
  }
  writeFileSync(join(exportDir, 'codebook.md'), renderCodebook(tables));
}

/**
 * Writes everything of a run but its manifest into `runs/.partial-<id>`:
 * what the audit reads before the run is kept (finishRun) and published
 * (pointCurrentAt). The export tables first, then the study tables and
 * report (from those) beside the restricted tables.
 */
export async function stageRun(request: StageRunRequest): Promise<StagedRun> {
  const { db, outputDir, runId } = request;
  const partialDir = join(outputDir, 'runs', `.partial-${runId}`);
  const restrictedDir = join(partialDir, 'restricted');
  const exportDir = join(partialDir, 'export');
  // Owner-only before anything is written in them: what DuckDB's COPY creates inside is out of reach until its chmod.
  ensurePrivateDir(join(outputDir, 'runs'));
  ensurePrivateDir(restrictedDir);
  mkdirSync(exportDir, { recursive: true });

  const disclosure = await readDisclosureReport(db);
  await writeExportTables(db, exportDir);
  writeFileSync(join(exportDir, 'disclosure.json'), `${JSON.stringify(disclosure, null, 2)}\n`);
  // The report reads export/ alone, on a database of its own, so its figures (JavaScript) are drawn while DuckDB
  // writes the restricted tables. Both settle before anything is thrown: nothing writes into the run afterwards.
  const settled = await Promise.allSettled([
    writeStudyReport(partialDir, request.study),
    (async () => {
      for (const table of RESTRICTED_TABLES) {
        const path = join(restrictedDir, table.file);
        if (table.partitionBy) await writePartitioned(db, path, { ...table, partitionBy: table.partitionBy });
        else await copyParquet(db, restrictedRowsSql(table), path, describeRestrictedTable(table));
      }
    })(),
  ]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  // Everything in the run is owner-only but export/, which holds aggregates only (file-modes.ts says why).
  makePrivate(partialDir, { except: [exportDir] });
  makeExportReadable(exportDir);
  return { partialDir, exportDir, disclosure, outputs: await describeOutputs(db, partialDir) };
}

/** Writes manifest.json last and renames the staged directory to `runs/<id>`: a run directory is complete or absent. */
export function finishRun(staged: StagedRun, manifest: RunManifest): string {
  const manifestPath = join(staged.partialDir, 'manifest.json');
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  makePrivate(manifestPath);
  const runDir = join(dirname(staged.partialDir), manifest.run_id);
  renameSync(staged.partialDir, runDir);
  return runDir;
}

/**
 * Removes what killed processes left: partial and half-pruned runs under
 * runs/, temporary `current` links. Called under the warehouse lock, so no
 * other process is writing them now.
 */
export function removeRunLeftovers(outputDir: string): void {
  const runsDir = join(outputDir, 'runs');
  for (const name of existsSync(runsDir) ? readdirSync(runsDir) : []) {
    if (name.startsWith('.partial-') || name.startsWith('.pruning-')) rmSync(join(runsDir, name), { recursive: true, force: true });
  }
  for (const name of readdirSync(outputDir)) if (name.startsWith('.current-')) rmSync(join(outputDir, name), { force: true });
}

/** Replaces `<out>/current` with a symlink to the run in one rename. */
export function pointCurrentAt(outputDir: string, runDir: string): void {
  const next = join(outputDir, `.current-${process.pid}`);
  rmSync(next, { force: true });
  symlinkSync(relative(outputDir, runDir), next);
  renameSync(next, join(outputDir, 'current'));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path) : [path];
    });
}

async function describeOutputs(db: Database, runDir: string): Promise<OutputFile[]> {
  const files = listFiles(runDir);
  const parquetFiles = files.filter((path) => path.endsWith('.parquet'));
  // every Parquet file's row count from its footer, in one statement (one per file was 83 at a time, ~0.3 s a run)
  const rowCounts = new Map(
    parquetFiles.length === 0
      ? []
      : (
          await db.query<{ path: string; rows: number }>(
            'publish: count rows',
            `select file_name as path, num_rows::double as rows from parquet_file_metadata(${sqlList(parquetFiles)})`,
          )
        ).map((row) => [row.path, row.rows]),
  );
  const outputs: OutputFile[] = [];
  for (const path of files) {
    const rows = path.endsWith('.parquet') ? rowCounts.get(path) : null;
    if (rows === undefined) throw new Error(`publish: no row count for ${relative(runDir, path)}`);
    outputs.push({ path: relative(runDir, path), sha256: await sha256OfFile(path), rows });
  }
  return outputs;
}
