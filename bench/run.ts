/**
 * `make bench`: the pipeline at 10 k, 100 k and 1 M synthetic persons (2 M
 * with BENCH_LARGE=1; or the sizes in BENCH_PERSONS, comma separated), each
 * size in its own process (bench/one-size.ts). Prints a table and writes
 * bench/results.json (not committed): per size the input and panel rows, seconds
 * per stage and in total, rows per second, peak RSS, peak spill on disk, the
 * ratio of the run to a plain DuckDB scan-and-aggregate of the same files
 * (the floor), and each stage's scaling exponent between sizes
 * (log t2/t1 over log n2/n1: 1 is linear). Asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface SizeResult {
  persons: number;
  input_rows: number;
  panel_rows: number | null;
  synth_seconds: number;
  floor_seconds: number;
  run_seconds: number;
  stage_seconds: Record<string, number>;
  publish_seconds: number;
  rows_per_second: number;
  ingest_rows_per_second: number;
  peak_rss_mb: number;
  peak_spill_bytes: number;
  audit_passed: boolean;
}

const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const sizes = process.env.BENCH_PERSONS
  ? process.env.BENCH_PERSONS.split(',').map((size) => Number(size.trim()))
  : [...DEFAULT_SIZES, ...(process.env.BENCH_LARGE === '1' ? [2_000_000] : [])];
if (sizes.some((size) => !Number.isInteger(size) || size <= 0)) {
  process.stderr.write(`BENCH_PERSONS must be whole numbers, comma separated (got ${process.env.BENCH_PERSONS})\n`);
  process.exit(2);
}

function runSize(persons: number): SizeResult {
  const work = mkdtempSync(join(tmpdir(), 'ipslink-bench-'));
  try {
    process.stderr.write(`bench: ${persons.toLocaleString('en-GB')} persons...\n`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'bench/one-size.ts', String(persons), work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`bench at ${persons} persons failed (exit ${child.status})`);
    return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as SizeResult;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const results = sizes.map(runSize);

/** Each stage's exponent between consecutive sizes: how its time grows with persons. */
const exponents = results.slice(1).map((result, index) => {
  const before = results[index]!;
  const growth = Math.log(result.persons / before.persons);
  const stages = Object.fromEntries(
    Object.entries(result.stage_seconds).map(([stage, time]) => [stage, Math.log(time / before.stage_seconds[stage]!) / growth]),
  );
  return { from: before.persons, to: result.persons, total: Math.log(result.run_seconds / before.run_seconds) / growth, stages };
});

writeFileSync('bench/results.json', `${JSON.stringify({ sizes: results, scaling_exponents: exponents }, null, 2)}\n`);

const number = (value: number, digits = 0) =>
  value.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const row = (cells: string[]) => cells.map((cell, index) => (index === 0 ? cell.padEnd(12) : cell.padStart(12))).join('');
const stageNames = Object.keys(results[0]!.stage_seconds);
const lines = [
  row(['', ...results.map((result) => `${number(result.persons)} p`)]),
  row(['input rows', ...results.map((result) => number(result.input_rows))]),
  row(['panel rows', ...results.map((result) => number(result.panel_rows ?? 0))]),
  row(['synth s', ...results.map((result) => number(result.synth_seconds, 1))]),
  ...stageNames.map((stage) => row([`${stage} s`, ...results.map((result) => number(result.stage_seconds[stage]!, 1))])),
  row(['publish s', ...results.map((result) => number(result.publish_seconds, 1))]),
  row(['run s', ...results.map((result) => number(result.run_seconds, 1))]),
  row(['rows/s', ...results.map((result) => number(result.rows_per_second))]),
  row(['ingest rows/s', ...results.map((result) => number(result.ingest_rows_per_second))]),
  row(['peak RSS MB', ...results.map((result) => number(result.peak_rss_mb))]),
  row(['peak spill MB', ...results.map((result) => number(result.peak_spill_bytes / 2 ** 20))]),
  row(['floor s', ...results.map((result) => number(result.floor_seconds, 2))]),
  row(['run / floor', ...results.map((result) => number(result.run_seconds / result.floor_seconds, 1))]),
  '',
  ...exponents.map(
    (step) =>
      `scaling ${number(step.from)} -> ${number(step.to)} persons: run ${step.total.toFixed(2)}; ${Object.entries(step.stages)
        .map(([stage, exponent]) => `${stage} ${exponent.toFixed(2)}`)
        .join(', ')}`,
  ),
  'written: bench/results.json',
];
process.stdout.write(`${lines.join('\n')}\n`);
