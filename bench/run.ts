/**
 * `make bench`: synthesises a larger delivery and times each pipeline stage.
 * Prints figures; asserts nothing. Size with BENCH_PERSONS (default 200000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStudyConfig } from '../src/config/study-config.js';
import { setLogging } from '../src/log.js';
import { runStudy } from '../src/run/run-study.js';
import { synthesizeDelivery } from '../src/synth/index.js';

const persons = Number(process.env.BENCH_PERSONS ?? 200_000);
const work = mkdtempSync(join(tmpdir(), 'ipslink-bench-'));
setLogging({ quiet: true });

try {
  let started = performance.now();
  const synth = await synthesizeDelivery({ outDir: join(work, 'landing', 'bench'), persons, seed: 7 });
  const synthSeconds = (performance.now() - started) / 1000;
  const inputRows = synth.files.reduce((total, file) => total + file.rowCount, 0);

  started = performance.now();
  const result = await runStudy({
    loaded: loadStudyConfig('config/demo.yaml'),
    landing: join(work, 'landing'),
    output: join(work, 'out'),
    force: true,
  });
  const runSeconds = (performance.now() - started) / 1000;

  const { stages } = (await import(join(result.runDir, 'manifest.json'), { with: { type: 'json' } })).default as {
    stages: { stage: string; durationMs: number; rowsOut: Record<string, number> }[];
  };
  const lines = [
    `persons ${persons.toLocaleString('en-GB')}, input rows ${inputRows.toLocaleString('en-GB')}`,
    `synth: ${synthSeconds.toFixed(1)} s (${Math.round(inputRows / synthSeconds).toLocaleString('en-GB')} rows/s)`,
    `run:   ${runSeconds.toFixed(1)} s (${Math.round(inputRows / runSeconds).toLocaleString('en-GB')} input rows/s), peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    ...stages.map((stage) => `  ${stage.stage.padEnd(9)} ${(stage.durationMs / 1000).toFixed(1).padStart(6)} s`),
    `  panel rows: ${(stages.find((stage) => stage.stage === 'panel')?.rowsOut.panel_person_month ?? 0).toLocaleString('en-GB')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
