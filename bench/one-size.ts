/**
 * One size of `make bench`, in its own process so that its peak memory is
 * its own: synthesises `persons` persons (two deliveries), times a plain
 * DuckDB scan-and-aggregate of the same files (the floor), runs the demo
 * study on them and prints one JSON object on stdout.
 * Usage: node --import tsx bench/one-size.ts PERSONS WORK_DIR
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudyConfig } from '../src/config/study-config.js';
import { Database, quoteLiteral } from '../src/db/database.js';
import { setLogging } from '../src/log.js';
import { SPILL_DIRECTORY } from '../src/run/output-directory.js';
import { runStudy } from '../src/run/run-study.js';
import { synthesizeDelivery } from '../src/synth/index.js';

const [personsArg, work] = process.argv.slice(2);
const persons = Number(personsArg);
if (!Number.isInteger(persons) || persons <= 0 || !work) throw new Error('usage: bench/one-size.ts PERSONS WORK_DIR');
setLogging({ quiet: true });

const seconds = (since: number) => (performance.now() - since) / 1000;

let started = performance.now();
const synth = await synthesizeDelivery({ outDir: join(work, 'landing', 'bench'), persons, seed: 7, deliveries: 2 });
const synthSeconds = seconds(started);
const files = synth.deliveries.flatMap((delivery) =>
  (JSON.parse(readFileSync(join(delivery.dir, 'delivery.json'), 'utf8')) as { files: { name: string; row_count: number }[] }).files.map(
    (file) => ({ path: join(delivery.dir, file.name), rows: file.row_count }),
  ),
);
const inputRows = files.reduce((total, file) => total + file.rows, 0);

// The floor: DuckDB alone reads every file and aggregates it per person, nothing validated or linked.
started = performance.now();
const floorDb = await Database.open(':memory:');
for (const file of files) {
  await floorDb.query(
    'bench: floor',
    `select count(*), count(distinct person_id) from read_csv(${quoteLiteral(file.path)}, header = true, all_varchar = true)`,
  );
}
floorDb.close();
const floorSeconds = seconds(started);

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

started = performance.now();
const result = await runStudy({ loaded: loadStudyConfig('config/demo.yaml'), landing: join(work, 'landing'), output, force: true });
const runSeconds = seconds(started);
clearInterval(sampler);

const { stages } = JSON.parse(readFileSync(join(result.runDir, 'manifest.json'), 'utf8')) as {
  stages: { stage: string; durationMs: number; rowsOut: Record<string, number> }[];
};
process.stdout.write(
  `${JSON.stringify({
    persons,
    input_rows: inputRows,
    panel_rows: stages.find((stage) => stage.stage === 'panel')?.rowsOut.panel_person_month ?? null,
    synth_seconds: synthSeconds,
    floor_seconds: floorSeconds,
    run_seconds: runSeconds,
    stage_seconds: Object.fromEntries(stages.map((stage) => [stage.stage, stage.durationMs / 1000])),
    // Publishing (staging, audit, rename) is what the run took beyond its stages.
    publish_seconds: runSeconds - stages.reduce((total, stage) => total + stage.durationMs, 0) / 1000,
    rows_per_second: inputRows / runSeconds,
    ingest_rows_per_second: inputRows / ((stages.find((stage) => stage.stage === 'ingest')?.durationMs ?? Number.NaN) / 1000),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    peak_spill_bytes: peakSpillBytes,
    audit_passed: result.audit.passed,
  })}\n`,
);
