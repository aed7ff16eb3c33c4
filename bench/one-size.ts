/**
 * One size of `make bench`: synthesises `persons` persons (two deliveries)
 * in a child process, runs the demo study on them in this process under
 * `resources.memory_limit` = BENCH_MEMORY_LIMIT (default 4GB), so that the
 * peak memory measured is the run's alone, then times a plain DuckDB
 * scan-and-aggregate of the same files (the floor) and a load of them into
 * a database file, typed, nothing validated (the load floor, load-floor.ts),
 * each in another child, at
 * 1,000,000 persons times the DiD and matching apart
 * (component-targets.ts), and prints one JSON object on stdout.
 * Usage: node --import tsx bench/one-size.ts PERSONS WORK_DIR
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { studyPipeline } from '../pipelines/study.js';
import { loadStudyConfig } from '../src/config/study-config.js';
import { setLogging } from '../src/log.js';
import { SPILL_DIRECTORY, WAREHOUSE_FILE } from '../src/run/output-directory.js';
import { concurrentGroups } from '../src/run/run-stages.js';
import { runStudy } from '../src/run/run-study.js';
import { COMPONENT_PERSONS, timeComponents } from './component-targets.js';

const [personsArg, work] = process.argv.slice(2);
const persons = Number(personsArg);
if (!Number.isInteger(persons) || persons <= 0 || !work) throw new Error('usage: bench/one-size.ts PERSONS WORK_DIR');
const memoryLimit = process.env.BENCH_MEMORY_LIMIT ?? '4GB';
setLogging({ quiet: true });

const seconds = (since: number) => (performance.now() - since) / 1000;
/** Runs a command to its end, its output on this process's stderr; returns its wall seconds. */
const timed = (command: string, args: string[]): number => {
  const started = performance.now();
  execFileSync(command, args, { stdio: ['ignore', 2, 2] });
  return seconds(started);
};

const landing = join(work, 'landing');
const synthSeconds = timed(process.execPath, [
  'bin/ipslink.js',
  'synth',
  '--out',
  join(landing, 'bench'),
  '--persons',
  String(persons),
  '--seed',
  '7',
  '--deliveries',
  '2',
  '--quiet',
]);
const files = readdirSync(landing)
  .sort()
  .flatMap((delivery) =>
    (
      JSON.parse(readFileSync(join(landing, delivery, 'delivery.json'), 'utf8')) as {
        files: { name: string; extract: string; row_count: number }[];
      }
    ).files.map((file) => ({ path: join(landing, delivery, file.name), extract: file.extract, rows: file.row_count })),
  );
const inputRows = files.reduce((total, file) => total + file.rows, 0);

/** The largest size DuckDB's spill directory reached, sampled every 250 ms. */
const output = join(work, 'out');
let peakSpillBytes = 0;
const directoryBytes = (dir: string): number => {
  try {
    return readdirSync(dir, { withFileTypes: true }).reduce(
      (total, entry) =>
        total + (entry.isFile() ? statSync(join(dir, entry.name)).size : entry.isDirectory() ? directoryBytes(join(dir, entry.name)) : 0),
      0,
    );
  } catch {
    return 0;
  }
};
const sampler = setInterval(() => {
  peakSpillBytes = Math.max(peakSpillBytes, directoryBytes(join(output, SPILL_DIRECTORY)));
}, 250);

const loaded = loadStudyConfig('config/demo.yaml');
loaded.config.resources.memory_limit = memoryLimit;
const started = performance.now();
const cpuBefore = process.cpuUsage();
const result = await runStudy({ loaded, landing, output, force: true });
const runSeconds = seconds(started);
const runCpu = process.cpuUsage(cpuBefore);
clearInterval(sampler);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);

// The floor: DuckDB alone reads every file and aggregates it per person, nothing validated or linked.
const floorSeconds = Number(
  execFileSync(process.execPath, ['--import', 'tsx', 'bench/floor.ts', ...files.map((file) => file.path)], { encoding: 'utf8' }),
);

const { stages, resources } = JSON.parse(readFileSync(join(result.runDir, 'manifest.json'), 'utf8')) as {
  stages: { stage: string; durationMs: number; cpuMs: number; rowsOut: Record<string, number>; peakRssMb: number; startMs: number }[];
  resources: { threads: number; duckdb_memory_limit: string };
};
// The load floor: DuckDB alone loads every file once, typed, with the run's DuckDB memory and threads.
const loadFloorSeconds = Number(
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/load-floor.ts',
      resources.duckdb_memory_limit,
      String(resources.threads),
      work,
      ...files.map((file) => `${file.extract}=${file.path}`),
    ],
    { encoding: 'utf8' },
  ),
);
// The targets on a part of the work are named at 1,000,000 persons (bench/component-targets.ts).
const components = persons === COMPONENT_PERSONS ? await timeComponents(join(output, WAREHOUSE_FILE), loaded.config, resources, work) : {};
process.stdout.write(
  `${JSON.stringify({
    persons,
    input_rows: inputRows,
    panel_rows: stages.find((stage) => stage.stage === 'panel')?.rowsOut.panel_person_month ?? null,
    memory_limit: memoryLimit,
    duckdb_memory_limit: resources.duckdb_memory_limit,
    threads: resources.threads,
    synth_seconds: synthSeconds,
    floor_seconds: floorSeconds,
    load_floor_seconds: loadFloorSeconds,
    run_seconds: runSeconds,
    run_cpu_seconds: (runCpu.user + runCpu.system) / 1e6,
    stage_seconds: Object.fromEntries(stages.map((stage) => [stage.stage, stage.durationMs / 1000])),
    stage_cpu_seconds: Object.fromEntries(stages.map((stage) => [stage.stage, stage.cpuMs / 1000])),
    // what the scaling exponents are taken over: a stage's own wall time depends on the one beside it
    stage_group_seconds: Object.fromEntries(
      concurrentGroups(studyPipeline).map((group) => {
        const spans = group.map((member) => stages.find((stage) => stage.stage === member.name)!);
        const end = Math.max(...spans.map((stage) => stage.startMs + stage.durationMs));
        return [group.map((member) => member.name).join(' + '), (end - Math.min(...spans.map((stage) => stage.startMs))) / 1000];
      }),
    ),
    // Publishing (staging, audit, rename) is what the run took beyond its stages, which end with the last to end
    // (two run at once where they may: src/run/run-stages.ts).
    publish_seconds: runSeconds - Math.max(...stages.map((stage) => stage.startMs + stage.durationMs)) / 1000,
    rows_per_second: inputRows / runSeconds,
    ingest_rows_per_second: inputRows / ((stages.find((stage) => stage.stage === 'ingest')?.durationMs ?? Number.NaN) / 1000),
    peak_rss_mb: peakRssMb,
    // the peak so far when each stage ended: the stage where it rises is the one that used the memory
    stage_peak_rss_mb: Object.fromEntries(stages.map((stage) => [stage.stage, stage.peakRssMb])),
    peak_spill_bytes: peakSpillBytes,
    audit_passed: result.audit.passed,
    ...components,
  })}\n`,
);
