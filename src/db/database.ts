/**
 * The one place that opens DuckDB and runs SQL.
 *
 * Stages hand it SQL files from `sql/` (or SQL built by a generator in
 * `src/`) with `$named` values. Every statement is prepared first so its
 * parameter names can be compared with the values given: a typo becomes
 * `sql/panel/03_outcomes.sql: missing $min_hours_48`, not DuckDB's bare
 * bind error. Multi-statement files are run statement by statement, each
 * bound to the values it names.
 *
 * With --debug, each SQL file run is logged with its duration and the rows
 * of every table it creates or inserts into (read from its statements, not
 * its header), and each labelled statement with its duration; without it,
 * nothing is counted.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DOUBLE,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  DuckDBTypeId,
  type DuckDBValue,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { fail, PipelineFailure } from '../errors.js';
import { chunkDoubles } from './chunk-columns.js';
import { fetchChunk } from './fetch-chunk.js';
import { quoteIdentifier, quoteLiteral } from './quote.js';

export { quoteIdentifier, quoteLiteral } from './quote.js';

import { isDebugEnabled, logDebug } from '../log.js';
import { PACKAGE_ROOT } from '../package-root.js';

export const SQL_DIR = join(PACKAGE_ROOT, 'sql');

/** Values for `$named` parameters; arrays bind as typed lists (an empty one as VARCHAR[]). */
export interface AppendColumn {
  type: 'VARCHAR' | 'DOUBLE' | 'INTEGER';
  values: ArrayLike<string | number | null>;
}

/** A data chunk's capacity: DuckDB's vector size. */
const APPEND_CHUNK_ROWS = 2048;
const APPEND_TYPES = { VARCHAR, DOUBLE, INTEGER } as const;

const NUMERIC_TYPE_IDS = new Set<DuckDBTypeId>([
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.DECIMAL,
]);

export type SqlParams = Record<string, DuckDBValue | readonly string[] | readonly number[]>;

export interface DatabaseOptions {
  /** DuckDB worker threads; results never depend on it. */
  threads?: number;
  memoryLimit?: string;
  tempDirectory?: string;
}

/** Once attachRunCatalog has run: the database file's own catalog, which keeps what later runs need. */
interface RunCatalogs {
  file: string;
}

/** The name of the in-memory catalog of attachRunCatalog. */
export const RUN_CATALOG = 'run';

export class Database {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly path: string,
    /** Whether close() also closes the instance (a sibling connection's does not). */
    private readonly ownsInstance = true,
    /** Shared by the instance's connections once attachRunCatalog has run. */
    private readonly catalogs: { run?: RunCatalogs } = {},
  ) {}

  static async open(path: string, options: DatabaseOptions = {}): Promise<Database> {
    const config: Record<string, string> = {};
    if (options.threads) config.threads = String(options.threads);
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.tempDirectory) config.temp_directory = options.tempDirectory;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config);
    } catch (error) {
      if (/lock/i.test(String(error))) fail({ code: 'warehouse_locked', path });
      throw error;
    }
    return new Database(instance, await instance.connect(), path);
  }

  /**
   * Attaches RUN_CATALOG, an in-memory database, and makes it where this connection and every sibling made after
   * create tables, views and macros; names not found there are looked up in the database file. What only the run
   * needs then never goes through the file's write-ahead log and checkpoints: a first 1,000,000-person run with every
   * table in memory took 394.1 s against 539.5 s for 38843ef's bench, another hour (docs/scale.md, "The warehouse
   * file keeps what was delivered"). Its tables spill to the temp directory under the memory limit, as any of
   * DuckDB's working data does. inFileCatalog runs the work that writes the file.
   */
  async attachRunCatalog(): Promise<void> {
    const [{ file }] = (await this.query<{ file: string }>('run catalog: file', 'select current_database() as file')) as [{ file: string }];
    await this.run('run catalog: attach', `attach ':memory:' as ${RUN_CATALOG} (compress)`);
    this.catalogs.run = { file };
    await this.useCatalog(RUN_CATALOG);
  }

  /** Drops the tables and views of the database file that are not among `kept` (before attachRunCatalog). */
  async dropFileTablesExcept(kept: readonly string[]): Promise<void> {
    const others = await this.query<{ name: string; kind: string }>(
      'drop file tables: list',
      `select table_name as name, 'table' as kind from duckdb_tables()
       where database_name = current_database() and not internal and not list_contains($kept, table_name)
       union all
       select view_name, 'view' from duckdb_views() where database_name = current_database() and not internal
       order by name`,
      { kept },
    );
    if (others.length === 0) return;
    await this.run('drop file tables', others.map(({ name, kind }) => `drop ${kind} ${quoteIdentifier(name)};`).join('\n'));
  }

  /**
   * Compresses the run catalog's tables (a checkpoint), unless another connection is writing; true when it ran.
   * DuckDB checkpoints on its own only at a commit that takes its write-ahead-log estimate past
   * `checkpoint_threshold`, and the run's bulk writes (`create table as`, `insert ... select`) do not count towards
   * it: what the stages make stays uncompressed until a commit of appended rows compresses all of it at once (at
   * 60,000 persons the in-memory tables went 624 -> 318 MiB inside one DiD statement; at 1,000,000 the estimate
   * stage waited 19 s between two; docs/scale-history.md). With another connection writing, DuckDB refuses the
   * checkpoint, and it is left to DuckDB.
   */
  async checkpointRunCatalog(label: string): Promise<boolean> {
    if (!this.catalogs.run) return false;
    try {
      await this.run(label, `checkpoint ${RUN_CATALOG}`);
      return true;
    } catch (error) {
      const isRefused =
        error instanceof PipelineFailure && error.error.code === 'sql_failed' && /other write transactions active/.test(error.error.detail);
      if (!isRefused) throw error;
      logDebug(`${label}: left to DuckDB, another connection is writing`, { event: 'checkpoint_deferred', statement: label });
      return false;
    }
  }

  /** Runs `work` with the database file's catalog as the one tables are made in (after attachRunCatalog; else as is). */
  async inFileCatalog<T>(work: () => Promise<T>): Promise<T> {
    const run = this.catalogs.run;
    if (!run) return work();
    await this.useCatalog(run.file);
    try {
      return await work();
    } finally {
      await this.useCatalog(RUN_CATALOG);
    }
  }

  private async useCatalog(catalog: string): Promise<void> {
    const file = this.catalogs.run!.file;
    await this.run(
      `catalog: use ${catalog}`,
      catalog === RUN_CATALOG
        ? `use ${RUN_CATALOG}; set search_path = ${quoteLiteral(`${RUN_CATALOG}.main,${quoteIdentifier(file)}.main`)}`
        : `use ${quoteIdentifier(file)}; reset search_path`,
    );
  }

  /** Runs `work` in one transaction (`<label>: begin`, `commit`): all of it is committed, or, if it throws, none. */
  async inTransaction<T>(label: string, work: () => Promise<T>): Promise<T> {
    await this.run(`${label}: begin`, 'begin transaction');
    try {
      const result = await work();
      await this.run(`${label}: commit`, 'commit');
      return result;
    } catch (error) {
      await this.run(`${label}: rollback`, 'rollback');
      throw error;
    }
  }

  /** Runs every statement of `sql/<file>`; with --debug, logs the rows of the tables it writes and its duration. */
  async runFile(file: string, params: SqlParams = {}): Promise<void> {
    const sql = readSqlFile(file);
    const started = performance.now();
    await this.execute(`sql/${file}`, sql, params);
    if (isDebugEnabled()) await this.logFileRun(`sql/${file}`, sql, performance.now() - started);
  }

  /** Runs `sql/<file>` and returns the rows of its last statement (small results only). */
  async queryFile<Row>(file: string, params: SqlParams = {}): Promise<Row[]> {
    const started = performance.now();
    const rows = await this.execute(`sql/${file}`, readSqlFile(file), params);
    if (isDebugEnabled()) logStatement(`sql/${file}`, started);
    return rows as Row[];
  }

  /** Runs generated SQL; `label` names it in errors and debug logs. */
  async run(label: string, sql: string, params: SqlParams = {}): Promise<void> {
    const started = performance.now();
    await this.execute(label, sql, params);
    if (isDebugEnabled()) logStatement(label, started);
  }

  /** Runs generated SQL and returns the rows of its last statement (small results only). */
  async query<Row>(label: string, sql: string, params: SqlParams = {}): Promise<Row[]> {
    const started = performance.now();
    const rows = await this.execute(label, sql, params);
    if (isDebugEnabled()) logStatement(label, started);
    return rows as Row[];
  }

  /**
   * Streams a large result chunk by chunk to `consume` (Arrow and other writers), and releases the statement once
   * it returns or throws (see execute).
   */
  async stream<T>(label: string, sql: string, params: SqlParams, consume: (result: DuckDBResult) => Promise<T>): Promise<T> {
    const prepared = await this.prepareChecked(label, sql, params);
    try {
      return await consume(await wrapSqlError(label, () => prepared.stream()));
    } finally {
      prepared.destroySync();
    }
  }

  /**
   * Reads a result column by column, chunk by chunk: DOUBLE/INTEGER columns as
   * Float64Array (null as NaN), everything else as strings (null as null).
   * For the per-person inputs of the statistics (PS model, matching).
   * Each chunk is converted as it arrives, and a column's repeated strings
   * share one JS string (a category column of a million persons holds its
   * few levels once, not a million copies). A DOUBLE column is copied out of
   * DuckDB's vector (chunkDoubles), not value by value through the node API.
   */
  async readColumns(label: string, sql: string, params: SqlParams = {}): Promise<Record<string, Float64Array | (string | null)[]>> {
    return this.stream(label, sql, params, async (result) => {
      const names = result.columnNames();
      const readers = names.map((_, index) => {
        const type = result.columnTypeId(index);
        if (type === DuckDBTypeId.DOUBLE) return doubleColumn(index);
        return NUMERIC_TYPE_IDS.has(type) ? numberColumn(index) : stringColumn(index);
      });
      for (;;) {
        const chunk = await fetchChunk(result);
        if (!chunk || chunk.rowCount === 0) break;
        for (const reader of readers) reader.add(chunk);
      }
      return Object.fromEntries(names.map((name, index) => [name, readers[index]!.values()]));
    });
  }

  /**
   * Appends rows given as columns to an existing table (small tables: one row per person), a chunk of
   * APPEND_CHUNK_ROWS rows at a time: one call into DuckDB per chunk and column, not one per value (4 M rows of
   * subgroup matches: 8.6 s of the subgroups stage went to the appender's calls per value).
   */
  async appendColumns(table: string, columns: readonly AppendColumn[]): Promise<void> {
    const appender = await this.connection.createAppender(table);
    const rows = columns[0]?.values.length ?? 0;
    const types = columns.map((column) => APPEND_TYPES[column.type]);
    for (let first = 0; first < rows; first += APPEND_CHUNK_ROWS) {
      const count = Math.min(APPEND_CHUNK_ROWS, rows - first);
      const chunk = DuckDBDataChunk.create(types, count);
      columns.forEach((column, index) => {
        const values: DuckDBValue[] = new Array(count);
        for (let row = 0; row < count; row++) {
          const value = column.values[first + row];
          values[row] =
            value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))
              ? null
              : column.type === 'VARCHAR'
                ? String(value)
                : Number(value);
        }
        chunk.setColumnValues(index, values);
      });
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
  }

  async count(table: string): Promise<number> {
    const [row] = await this.execute(`count ${table}`, `select count(*)::double as n from ${quoteIdentifier(table)}`, {});
    return Number(row?.n ?? 0);
  }

  /**
   * Another connection to the same database, for statements that run beside this connection's (DuckDB runs each
   * connection's statement on its own): its close() closes only that connection.
   */
  async sibling(): Promise<Database> {
    const sibling = new Database(this.instance, await this.instance.connect(), this.path, false, this.catalogs);
    if (this.catalogs.run) await sibling.useCatalog(RUN_CATALOG);
    return sibling;
  }

  close(): void {
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }

  private async prepareChecked(label: string, sql: string, params: SqlParams) {
    const prepared = await wrapSqlError(label, () => this.connection.prepare(sql));
    checkParameters(label, parameterNames(prepared), params);
    bindParams(prepared, params);
    return prepared;
  }

  /** The debug line of a file run: its duration, then the rows of each table it wrote that still exists. */
  private async logFileRun(file: string, sql: string, durationMs: number): Promise<void> {
    const written = tablesWrittenBy(sql);
    const existing = written.length
      ? await this.execute(
          'debug: tables written',
          'select distinct table_name from duckdb_tables() where list_contains($names, table_name)',
          { names: written },
        )
      : [];
    const rows: Record<string, number> = {};
    for (const table of written) {
      if (existing.some((row) => row.table_name === table)) rows[table] = await this.count(table);
    }
    const ms = Math.round(durationMs);
    const counts = Object.entries(rows)
      .map(([table, count]) => `; ${table} ${count} ${count === 1 ? 'row' : 'rows'}`)
      .join('');
    logDebug(`${file}: ${ms} ms${counts}`, { event: 'sql_file', file, duration_ms: ms, counts: rows });
  }

  private async execute(label: string, sql: string, params: SqlParams): Promise<Record<string, unknown>[]> {
    const statements = await wrapSqlError(label, () => this.connection.extractStatements(sql));
    const named = new Set<string>();
    let rows: Record<string, unknown>[] = [];
    for (let index = 0; index < statements.count; index++) {
      const prepared = await wrapSqlError(label, () => statements.prepare(index));
      // Released as soon as it has run, not when the garbage collector gets to it: a prepared plan holds what its
      // operators kept (a materialized CTE's rows, say), and with a stage's plans held, every later stage's DuckDB
      // work took about a fifth more CPU (the costs stage after estimate, 1 M persons: 53 s, 43 s with them released).
      try {
        const names = parameterNames(prepared);
        for (const name of names) named.add(name);
        const own = Object.fromEntries(names.filter((name) => name in params).map((name) => [name, params[name]!]));
        if (names.some((name) => !(name in params))) checkParameters(label, names, params);
        bindParams(prepared, own);
        const reader = await wrapSqlError(label, () => prepared.runAndReadAll());
        rows = reader.getRowObjectsJS() as Record<string, unknown>[];
      } finally {
        prepared.destroySync();
      }
    }
    checkParameters(label, [...named], params);
    return rows;
  }
}

function logStatement(label: string, started: number): void {
  const ms = Math.round(performance.now() - started);
  logDebug(`${label}: ${ms} ms`, { event: 'sql_statement', statement: label, duration_ms: ms });
}

const WRITES_TABLE =
  /\b(?:create\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?table\s+(?:if\s+not\s+exists\s+)?|insert\s+(?:or\s+(?:replace|ignore)\s+)?into\s+)("(?:[^"]|"")+"|[a-z_][a-z0-9_]*)/gi;

/**
 * The tables a SQL text creates or inserts into, in order of first mention
 * (comments ignored; views and macros are not tables, so never counted).
 */
export function tablesWrittenBy(sql: string): string[] {
  const code = sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const names = [...code.matchAll(WRITES_TABLE)].map(([, name]) =>
    name!.startsWith('"') ? name!.slice(1, -1).replaceAll('""', '"') : name!.toLowerCase(),
  );
  return [...new Set(names)];
}

function parameterNames(prepared: { parameterCount: number; parameterName(index: number): string }): string[] {
  const names: string[] = [];
  for (let index = 1; index <= prepared.parameterCount; index++) names.push(prepared.parameterName(index));
  return names;
}

function bindParams(prepared: DuckDBPreparedStatement, params: SqlParams): void {
  for (const [name, value] of Object.entries(params)) {
    const index = prepared.parameterIndex(name);
    if (Array.isArray(value)) {
      const items = value as readonly (string | number)[];
      const itemType = items.every((item) => typeof item === 'number')
        ? items.every(Number.isInteger) && items.length > 0
          ? INTEGER
          : DOUBLE
        : VARCHAR;
      prepared.bindValue(index, listValue([...items]), LIST(items.length ? itemType : VARCHAR));
    } else {
      prepared.bindValue(index, value as DuckDBValue);
    }
  }
}

function checkParameters(label: string, names: readonly string[], params: SqlParams): void {
  const wanted = new Set(names);
  const missing = [...wanted].filter((name) => !(name in params)).sort();
  const unexpected = Object.keys(params)
    .filter((name) => !wanted.has(name))
    .sort();
  if (missing.length || unexpected.length) fail({ code: 'sql_parameters', file: label, missing, unexpected });
}

async function wrapSqlError<T>(label: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof Error && error.name === 'PipelineFailure') throw error;
    fail({ code: 'sql_failed', file: label, detail: firstLine(String(error instanceof Error ? error.message : error)) });
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

const sqlCache = new Map<string, string>();

export function readSqlFile(file: string): string {
  let sql = sqlCache.get(file);
  if (sql === undefined) {
    sql = readFileSync(resolve(SQL_DIR, file), 'utf8');
    sqlCache.set(file, sql);
  }
  return sql;
}

/**
 * A COLUMNS(...) pattern matching exactly these column names. DuckDB takes
 * one pattern several times in an expression (a lambda it would not), so
 * SQL steps over a list of outcomes get it as a `$named` value.
 */
export function columnPattern(names: readonly string[]): string {
  if (names.some((name) => !/^[a-z_][a-z0-9_]*$/.test(name))) throw new Error(`not plain column names: ${names.join(', ')}`);
  return `^(${names.join('|')})$`;
}

/** A SQL list literal of strings, for SQL that is generated rather than read from sql/ (which takes lists as `$named` values). */
export function sqlList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

/** Distinct strings a column of readColumns shares before it stops looking (a column of ids is not held twice). */
const SHARED_STRINGS_PER_COLUMN = 4096;

interface ColumnReader<Values> {
  add(chunk: DuckDBDataChunk): void;
  values(): Values;
}

/** A growing Float64Array of a column's values. */
function growingDoubles() {
  let values = new Float64Array(1 << 16);
  let length = 0;
  return {
    /** Room for `count` more values, from `length` on. */
    reserve(count: number): Float64Array<ArrayBuffer> {
      if (length + count > values.length) {
        const grown = new Float64Array(Math.max(2 * values.length, length + count));
        grown.set(values.subarray(0, length));
        values = grown;
      }
      return values;
    },
    get length() {
      return length;
    },
    advance(count: number) {
      length += count;
    },
    values: () => values.slice(0, length),
  };
}

/** A DOUBLE column, copied out of each chunk's vector straight into its values. */
function doubleColumn(column: number): ColumnReader<Float64Array> {
  const values = growingDoubles();
  return {
    add(chunk) {
      const rows = chunk.rowCount;
      const start = values.length;
      chunkDoubles(chunk, column, values.reserve(rows).subarray(start, start + rows));
      values.advance(rows);
    },
    values: values.values,
  };
}

/** Another numeric column (INTEGER, BIGINT, ...), value by value. */
function numberColumn(column: number): ColumnReader<Float64Array> {
  const values = growingDoubles();
  return {
    add(chunk) {
      const items = chunk.getColumnVector(column).toArray();
      const into = values.reserve(items.length);
      let length = values.length;
      for (const value of items) into[length++] = value === null ? Number.NaN : Number(value);
      values.advance(items.length);
    },
    values: values.values,
  };
}

function stringColumn(column: number): ColumnReader<(string | null)[]> {
  const values: (string | null)[] = [];
  const shared = new Map<string, string>();
  return {
    add(chunk) {
      for (const value of chunk.getColumnVector(column).toArray()) {
        if (value === null) {
          values.push(null);
          continue;
        }
        const text = String(value);
        const known = shared.get(text);
        if (known === undefined && shared.size < SHARED_STRINGS_PER_COLUMN) shared.set(text, text);
        values.push(known ?? text);
      }
    },
    values: () => values,
  };
}
