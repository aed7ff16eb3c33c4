/**
 * Crash safety of `ipslink run` (DESIGN §5): a run killed with SIGKILL at a
 * stage boundary, inside one of the longest stages or while publishing
 * leaves nothing the next run trips over. The rerun publishes the clean
 * run's export bytes, `current` points at a complete run, no staged
 * leftovers stay behind, and the warehouse holds every delivered row once.
 * Also: two runs started at once never both write, and a reader of
 * `current` never sees a partial or mixed run.
 *
 * The runs are real CLI processes (`--log-format json`), killed when a given
 * log line arrives on their stderr. The world is small (1,500 persons, two
 * deliveries), so the config relaxes what a small world fails (balance
 * gate, cohort size) and trims what only costs time (one subgroup, 99
 * bootstrap replicates, one DuckDB thread); every stage still does work.
 * The kill scenarios run two at a time (the machine has two cores), each
 * on an output of its own, so the durations vitest shows for them include
 * waiting for a lane.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, test } from 'vitest';
import { studyPipeline } from '../../pipelines/study.js';
import { EXTRACTS } from '../../src/contracts/extracts.js';
import { quoteIdentifier, quoteLiteral } from '../../src/db/database.js';
import { EXIT_CODES } from '../../src/exit-codes.js';
import type { RunManifest } from '../../src/publish/manifest.js';
import { readRunHistory } from '../../src/run/history.js';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir } from '../support/delivery.js';
import {
  type CliExit,
  cliCommand,
  type LogLine,
  millisecondsBetween,
  REPO_ROOT,
  runCli,
  startCli,
  startCommand,
} from '../support/run-cli.js';
import { replaceOnce } from '../support/small-world.js';
import { TEST_RESOURCES_YAML, TEST_THREADS } from '../support/threads.js';

const SEED = 20261121;
const PERSONS = 1_500;
const FIRST_DELIVERY = `synth-${SEED}.1`;
const SECOND_DELIVERY = `synth-${SEED}.2`;
/** Between two reads of `current` while runs publish. */
const READ_PAUSE_MS = 5;
/** A killed run plus a full rerun on 2 busy cores, after waiting for a lane. */
const SCENARIO_TIMEOUT_MS = 180_000;
/** At most this many kills per kill point inside a stage of the loaded output (killRunAt). */
const KILL_ATTEMPTS = 3;

let work: string;
let landing: string;
let config: string;
/** The clean run's output: one of the two loaded outputs of the kill scenarios, then used by the tests after them. */
let shared: string;
let clean: CleanRun;
/** Every file of every delivery, as delivery.json lists it. */
let delivered: { delivery_id: string; file: string; row_count: number }[];

interface CleanRun {
  /** Every file under the published run's export/, by its path there. */
  exportFiles: Map<string, Buffer>;
  ledger: Ledger;
  stageMs: Record<string, number>;
  /** From the end of the last stage (disclosure) to `run_published`: staging, audit, rename, `current`. */
  publishingMs: number;
}

/** What the warehouse holds per delivered file and per extract. */
interface Ledger {
  files: {
    delivery_id: string;
    file: string;
    rows_read: number;
    rows_accepted: number;
    rows_rejected: number;
    /** Rows of the rejects ledger from this file. */
    rows_in_rejects: number;
  }[];
  extracts: { extract: string; rows_in_force: number; keys_in_force: number; rows_superseded: number }[];
}

/** config/demo.yaml, relaxed and trimmed for a small world (see the header). */
function writeTestConfig(path: string): void {
  let text = readFileSync(join(REPO_ROOT, 'config/demo.yaml'), 'utf8');
  text = replaceOnce(text, 'balance_max_abs_smd: 0.1', 'balance_max_abs_smd: 0.5');
  text = replaceOnce(text, 'subgroups: [target_group, funder, provider]', 'subgroups: [funder]');
  text = replaceOnce(text, 'replicates: 999', 'replicates: 99');
  // keep 10: no run a reader of `current` may hold is pruned while three more runs publish.
  text += `\naudit: { min_cohort_persons_per_arm: 10 }\nretention: { keep: 10 }\n${TEST_RESOURCES_YAML}`;
  writeFileSync(path, text);
}

function runArgs(output: string, ...extra: string[]): string[] {
  return ['run', '--config', config, '--landing', landing, '--out', output, '--log-format', 'json', ...extra];
}

/** Opens the warehouse read-only (the writer has exited), so that what a killed run left is seen as it is. */
async function readLedger(output: string): Promise<Ledger> {
  const path = join(output, 'warehouse.duckdb');
  if (!existsSync(path)) return { files: [], extracts: [] };
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const rows = async <Row>(sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS() as Row[];
  try {
    const [created] = await rows<{ tables: number }>(
      "select count(*)::double as tables from duckdb_tables() where table_name = 'ingested_files'",
    );
    if (!created?.tables) return { files: [], extracts: [] };
    const files = await rows<Ledger['files'][number]>(
      `select delivery_id, file, rows_read::double as rows_read, rows_accepted::double as rows_accepted,
          rows_rejected::double as rows_rejected,
          (select count(*) from rejects where rejects.delivery_id = files.delivery_id and rejects.file = files.file)::double as rows_in_rejects
       from ingested_files as files order by delivery_id, file`,
    );
    const extracts: Ledger['extracts'] = [];
    for (const extract of EXTRACTS) {
      const table = quoteIdentifier(extract.name);
      const key = extract.keyColumns.map(quoteIdentifier).join(', ');
      const [counts] = await rows<Ledger['extracts'][number]>(
        `select ${quoteLiteral(extract.name)} as extract, (select count(*) from ${table})::double as rows_in_force,
            (select count(*) from (select distinct ${key} from ${table}))::double as keys_in_force,
            (select count(*) from ${quoteIdentifier(`${extract.name}_superseded`)})::double as rows_superseded`,
      );
      extracts.push(counts!);
    }
    return { files, extracts };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every delivered row once: each delivered file loaded once with its delivery.json row count, reconciled, and no key twice in force. */
function expectLedgerReconciles(ledger: Ledger): void {
  expect(ledger.files.map((file) => `${file.delivery_id}/${file.file}`)).toEqual(
    delivered.map((file) => `${file.delivery_id}/${file.file}`),
  );
  for (const [index, file] of ledger.files.entries()) {
    const name = `${file.delivery_id}/${file.file}`;
    expect(file.rows_read, `${name}: rows read vs delivery.json`).toBe(delivered[index]!.row_count);
    expect(file.rows_accepted + file.rows_rejected, `${name}: accepted + rejected`).toBe(file.rows_read);
    expect(file.rows_in_rejects, `${name}: rows in the rejects ledger`).toBe(file.rows_rejected);
  }
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  expect(sum(ledger.files.map((file) => file.rows_read))).toBe(sum(delivered.map((file) => file.row_count)));
  for (const extract of ledger.extracts) expect(extract.rows_in_force, `${extract.extract}: keys in force`).toBe(extract.keys_in_force);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

function readFiles(dir: string): Map<string, Buffer> {
  return new Map(listFiles(dir).map((file) => [file, readFileSync(join(dir, file))]));
}

function currentRunId(output: string): string | null {
  return existsSync(join(output, 'current')) ? basename(realpathSync(join(output, 'current'))) : null;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** What is wrong with the run `current` points at (a missing manifest, a missing or changed output), or [] when it is complete. */
function problemsOfCurrentRun(output: string, outputs: (path: string) => boolean = () => true): { runId: string; problems: string[] } {
  const runDir = realpathSync(join(output, 'current'));
  const runId = basename(runDir);
  if (!existsSync(join(runDir, 'manifest.json'))) return { runId, problems: [`${runId}: no manifest.json`] };
  const manifest = JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')) as RunManifest;
  const problems = manifest.outputs
    .filter((file) => outputs(file.path))
    .flatMap((file) => {
      const path = join(runDir, file.path);
      if (!existsSync(path)) return [`${runId}/${file.path}: missing`];
      return sha256(path) === file.sha256 ? [] : [`${runId}/${file.path}: sha256 differs from the manifest`];
    });
  if (manifest.status !== 'published') problems.push(`${runId}: status ${manifest.status}`);
  return { runId, problems };
}

/** Staging directories, prunings in progress and temporary `current` links: what a killed process may leave. */
function leftovers(output: string): string[] {
  if (!existsSync(output)) return [];
  const runs = existsSync(join(output, 'runs')) ? readdirSync(join(output, 'runs')) : [];
  return [
    ...runs.filter((name) => name.startsWith('.partial-') || name.startsWith('.pruning-')).map((name) => `runs/${name}`),
    ...readdirSync(output).filter((name) => name.startsWith('.current-')),
  ];
}

/** Files of the published export that are missing, extra or not byte-identical to the clean run's. */
function exportDifferences(exportDir: string): string[] {
  const files = readFiles(exportDir);
  const names = [...new Set([...files.keys(), ...clean.exportFiles.keys()])].sort();
  return names.flatMap((name) => {
    const actual = files.get(name);
    const expected = clean.exportFiles.get(name);
    if (!actual) return [`${name}: missing`];
    if (!expected) return [`${name}: not in the clean run`];
    return actual.equals(expected) ? [] : [`${name}: bytes differ`];
  });
}

/** After a rerun: published and current, complete, nothing left over, the clean export bytes, every delivered row once. */
async function expectRecovered(output: string, rerun: CliExit): Promise<void> {
  const published = rerun.lines.find(isPublished);
  expect(published, rerun.stderr.slice(-2000)).toBeDefined();
  expect(currentRunId(output)).toBe(published!.run_id);
  expect(problemsOfCurrentRun(output).problems).toEqual([]);
  expect(leftovers(output)).toEqual([]);
  expect(exportDifferences(join(output, 'current', 'export'))).toEqual([]);
  const ledger = await readLedger(output);
  expectLedgerReconciles(ledger);
  expect(ledger).toEqual(clean.ledger);
}

/** Where a run is killed, as data: each is one test. */
interface KillPoint {
  name: string;
  /** 'fresh': an output whose warehouse has loaded nothing yet; 'loaded': a copy of the clean run's output (rerun with --force). */
  output: 'fresh' | 'loaded';
  /** The log line at which the countdown to the kill starts. */
  after: (line: LogLine) => boolean;
  /** How long after that line to kill, from the clean run's timings; none: at once. */
  delayMs?: (clean: CleanRun) => number;
  /** For a kill inside a stage: a line that must not have come when the kill landed. */
  landsBefore?: (line: LogLine) => boolean;
  /** A kill while staging the run's files: it leaves runs/.partial-<id>. */
  publishing?: true;
  /** The deliveries the warehouse holds after the kill, each whole; default: both. */
  loadedAtKill?: string[];
}

const started = (stage: string) => (line: LogLine) => line.event === 'stage_started' && line.stage === stage;
const finished = (stage: string) => (line: LogLine) => line.event === 'stage_finished' && line.stage === stage;
const isPublished = (line: LogLine) => line.event === 'run_published';

const KILL_POINTS: KillPoint[] = [
  ...studyPipeline.map(
    ({ name }): KillPoint =>
      name === 'ingest'
        ? { name: 'at the start of ingest', output: 'fresh', after: started(name), loadedAtKill: [] }
        : { name: `at the start of ${name}`, output: 'loaded', after: started(name) },
  ),
  {
    // The first delivery's transaction committed, the second's open (three of its five files to go).
    name: 'inside ingest, after the first file of the second delivery',
    output: 'fresh',
    after: (line) => line.stage === 'ingest' && line.message.startsWith(`${SECOND_DELIVERY}/`),
    landsBefore: finished('ingest'),
    loadedAtKill: [FIRST_DELIVERY],
  },
  {
    name: 'half way through panel',
    output: 'loaded',
    after: started('panel'),
    delayMs: (run) => run.stageMs.panel! / 2,
    landsBefore: finished('panel'),
  },
  {
    name: 'half way through estimate',
    output: 'loaded',
    after: started('estimate'),
    delayMs: (run) => run.stageMs.estimate! / 2,
    landsBefore: finished('estimate'),
  },
  {
    name: 'half way through publishing (staging the run)',
    output: 'loaded',
    after: finished('disclosure'),
    delayMs: (run) => run.publishingMs / 2,
    publishing: true,
  },
];

/**
 * Starts a run, kills it with SIGKILL at the kill point and returns its exit once its output is read. A kill meant
 * for inside a stage of the loaded output that landed past it (landsBefore) is aimed again, earlier, at a new run
 * over what that kill left, at most KILL_ATTEMPTS times: the delay is half the stage's time in the clean run, and a
 * stage of a tenth of a second run under other load can end first. The last kill is returned as it landed.
 */
async function killRunAt(output: string, point: KillPoint): Promise<CliExit> {
  let delay = point.delayMs?.(clean) ?? 0;
  for (let attempt = 1; ; attempt++) {
    const run = startCli(runArgs(output, ...(point.output === 'loaded' ? ['--force'] : [])));
    await run.waitForLine(point.after, point.name);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    run.child.kill('SIGKILL');
    const killed = await run.finished;
    const landedPast = point.landsBefore !== undefined && killed.lines.some(point.landsBefore) && !killed.lines.some(isPublished);
    if (!landedPast || point.output !== 'loaded' || attempt === KILL_ATTEMPTS) return killed;
    delay /= 2;
  }
}

/**
 * The kill ended the run before it published, inside the stage it was meant
 * for. (A kill at a stage's start lands a few milliseconds after it: in
 * that stage or, for a short one, just past it.)
 */
function expectKillLanded(killed: CliExit, point: KillPoint): void {
  expect(killed.signal, killed.stderr.slice(-2000)).toBe('SIGKILL');
  expect(killed.lines.some(isPublished)).toBe(false);
  if (point.landsBefore) expect(killed.lines.filter(point.landsBefore), 'the kill landed too late').toEqual([]);
}

/**
 * Two lanes, as the machine has two cores: each kill scenario holds one
 * while it runs, with the loaded output that goes with it (the clean run's
 * or a copy), so at most two scenarios run at once and never two on one
 * output.
 */
class Lanes {
  private readonly waiting: ((output: string) => void)[] = [];

  constructor(private readonly free: string[]) {}

  async use<T>(action: (loadedOutput: string) => Promise<T>): Promise<T> {
    const output = this.free.pop() ?? (await new Promise<string>((resolve) => this.waiting.push(resolve)));
    try {
      return await action(output);
    } finally {
      const next = this.waiting.shift();
      if (next) next(output);
      else this.free.push(output);
    }
  }
}

let lanes: Lanes;

beforeAll(async () => {
  work = makeTempDir('ipslink-crash-');
  landing = join(work, 'landing');
  config = join(work, 'study.yaml');
  shared = join(work, 'out');
  writeTestConfig(config);
  const synth = await synthesizeDelivery({
    outDir: join(landing, 'synth'),
    persons: PERSONS,
    seed: SEED,
    deliveries: 2,
    threads: TEST_THREADS,
  });
  delivered = synth.deliveries
    .map((delivery) => JSON.parse(readFileSync(join(delivery.dir, 'delivery.json'), 'utf8')))
    .flatMap((manifest: { delivery_id: string; files: { name: string; row_count: number }[] }) =>
      manifest.files.map((file) => ({ delivery_id: manifest.delivery_id, file: file.name, row_count: file.row_count })),
    )
    .sort((a, b) => `${a.delivery_id}/${a.file}`.localeCompare(`${b.delivery_id}/${b.file}`));

  const run = await runCli(runArgs(shared));
  if (run.code !== 0) throw new Error(`the clean run failed (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  const manifest = JSON.parse(readFileSync(join(shared, 'current', 'manifest.json'), 'utf8')) as RunManifest;
  clean = {
    exportFiles: readFiles(join(shared, 'current', 'export')),
    ledger: await readLedger(shared),
    stageMs: Object.fromEntries(manifest.stages.map((stage) => [stage.stage, stage.durationMs])),
    publishingMs: millisecondsBetween(run.lines.find(finished('disclosure'))!, run.lines.find(isPublished)!),
  };
  // The writer has exited, so the warehouse file is whole; `current` is a relative link and stays inside the copy.
  const copy = join(work, 'out-copy');
  cpSync(shared, copy, { recursive: true, verbatimSymlinks: true });
  lanes = new Lanes([copy, shared]);
}, 120_000);

describe('the clean run the others are compared with', () => {
  test('publishes, and its warehouse holds every delivered row once', () => {
    expect(delivered.map((file) => file.delivery_id)).toContain(SECOND_DELIVERY);
    expect(clean.exportFiles.size).toBeGreaterThan(20);
    expectLedgerReconciles(clean.ledger);
    expect(clean.ledger.extracts.find((extract) => extract.extract === 'persons')?.rows_superseded).toBeGreaterThan(0);
  });
});

describe('a run killed with SIGKILL leaves nothing the next run trips over', () => {
  for (const point of KILL_POINTS) {
    test.concurrent(
      `killed ${point.name}: current stays whole, and the next run publishes the clean export bytes over a warehouse holding every delivered row once`,
      () =>
        lanes.use(async (loadedOutput) => {
          const output = point.output === 'fresh' ? join(makeTempDir('ipslink-crash-fresh-'), 'out') : loadedOutput;
          const currentBefore = currentRunId(output);
          const killed = await killRunAt(output, point);
          expectKillLanded(killed, point);
          if (!point.publishing) expect(currentRunId(output)).toBe(currentBefore);
          // Killed while staging, the run leaves its partial directory for the next run to clear.
          expect(leftovers(output)).toEqual(point.publishing ? [expect.stringMatching(/^runs\/\.partial-/)] : []);
          if (currentRunId(output) !== null) expect(problemsOfCurrentRun(output).problems).toEqual([]);
          // A delivery loads in one transaction: the warehouse holds it whole or not at all.
          const loaded = point.loadedAtKill ?? [FIRST_DELIVERY, SECOND_DELIVERY];
          expect((await readLedger(output)).files).toEqual(clean.ledger.files.filter((file) => loaded.includes(file.delivery_id)));

          const rerun = await runCli(runArgs(output, ...(point.output === 'loaded' ? ['--force'] : [])));
          expect(rerun.code, "the killed run's warehouse lock went with its process").not.toBe(EXIT_CODES.locked.code);
          expect(rerun.code, rerun.stderr.slice(-2000)).toBe(0);
          await expectRecovered(output, rerun);
        }),
      // Waiting for a lane included.
      SCENARIO_TIMEOUT_MS,
    );
  }
});

describe('two runs started at once', () => {
  test(
    'one publishes; the other exits 75 with one line while the first is still running; one new run directory',
    async () => {
      const runDirs = () => readdirSync(join(shared, 'runs')).filter((name) => !name.startsWith('.'));
      const before = runDirs();
      const historyBefore = readRunHistory(shared).length;
      const runs = [startCli(runArgs(shared, '--force', '--quiet')), startCli(runArgs(shared, '--force', '--quiet'))];
      const exits = await Promise.all(runs.map(async (run) => ({ ...(await run.finished), exitedAt: performance.now() })));
      expect(exits.map((exit) => exit.code).sort()).toEqual([0, EXIT_CODES.locked.code]);
      const winner = exits.find((exit) => exit.code === 0)!;
      const loser = exits.find((exit) => exit.code === EXIT_CODES.locked.code)!;
      expect(loser.stderr.split('\n')).toHaveLength(1);
      expect(JSON.parse(loser.stderr)).toMatchObject({ level: 'error', event: 'command_failed', code: 'warehouse_locked' });
      // Refused on opening the warehouse, not after waiting for it: the winner had most of its run still to do.
      expect(winner.exitedAt - loser.exitedAt).toBeGreaterThan(winner.durationMs / 3);
      const added = runDirs().filter((name) => !before.includes(name));
      expect(added).toEqual([currentRunId(shared)]);
      expect(readRunHistory(shared).slice(historyBefore)).toMatchObject([{ run_id: added[0], status: 'published' }]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});

describe('current, read while runs publish', () => {
  test('is never missing, partial or mixed, and never goes back to an older run', async () => {
    const before = currentRunId(shared);
    // Three publishing runs in a row in one child process, while this process reads current in a loop.
    const runs = startCommand(['sh', '-c', 'for run in 1 2 3; do "$@" || exit $?; done', 'sh', ...cliCommand(runArgs(shared, '--force'))]);
    let running = true;
    void runs.finished.then(() => {
      running = false;
    });
    const problems: string[] = [];
    const seen: string[] = [];
    let reads = 0;
    while (running) {
      try {
        const current = problemsOfCurrentRun(shared, (path) => path.startsWith('export/'));
        problems.push(...current.problems);
        if (current.runId !== seen.at(-1)) seen.push(current.runId);
      } catch (error) {
        problems.push(String(error));
      }
      reads += 1;
      // A read takes about 2 ms; reading without a pause took a core from the runs and the other test files for
      // the whole test, and a pause this short still reads current thousands of times while the runs publish.
      await sleep(READ_PAUSE_MS);
    }
    const exit = await runs.finished;
    expect(exit.code, exit.stderr.slice(-2000)).toBe(0);
    const published = exit.lines.filter(isPublished).map((line) => line.run_id!);
    expect(published).toHaveLength(3);
    expect(problems.slice(0, 5)).toEqual([]);
    expect(reads).toBeGreaterThan(20);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    // Only published runs, in the order they were published (run ids start with their start time).
    expect(
      seen.every((id) => id === before || published.includes(id)),
      seen.join(', '),
    ).toBe(true);
    expect(seen).toEqual([...seen].sort());
  }, 120_000);
});
