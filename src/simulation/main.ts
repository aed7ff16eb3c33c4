/**
 * `make simulate`: runs the simulation study and writes
 * <out>/simulation-draws.csv and <out>/simulation-summary.csv, then prints
 * the summary table. Options: --seeds N (default 50), --first-seed S,
 * --persons N (default 20000), --out DIR (default out/simulation).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { objectsToCsv } from '../csv.js';
import { setLogging } from '../log.js';
import { formatSimulationSummary, runSimulation } from './simulation-study.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '50' },
    'first-seed': { type: 'string', default: '1001' },
    persons: { type: 'string', default: '20000' },
    out: { type: 'string', default: 'out/simulation' },
    config: { type: 'string', default: 'config/demo.yaml' },
  },
});

const seedCount = Number(values.seeds);
const firstSeed = Number(values['first-seed']);
const persons = Number(values.persons);
for (const [name, value] of [
  ['seeds', seedCount],
  ['first-seed', firstSeed],
  ['persons', persons],
] as const) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`simulate: --${name} must be a positive whole number\n`);
    process.exit(2);
  }
}

setLogging({ quiet: true });
const started = performance.now();
const { draws, summary } = await runSimulation({
  seeds: Array.from({ length: seedCount }, (_, index) => firstSeed + index),
  persons,
  months: [6, 12, 18, 24, 30, 36],
  outcomes: ['employed_any', 'employed_48h', 'on_benefit'],
  config: values.config,
  onSeed: (seed, index) => process.stderr.write(`seed ${seed} (${index + 1}/${seedCount})\n`),
});

mkdirSync(values.out, { recursive: true });
for (const [name, rows] of [
  ['simulation-draws.csv', draws],
  ['simulation-summary.csv', summary],
] as const) {
  writeFileSync(join(values.out, `${name}.partial`), objectsToCsv(rows));
  renameSync(join(values.out, `${name}.partial`), join(values.out, name));
}
process.stdout.write(
  `${formatSimulationSummary(summary)}\n${seedCount} seeds x ${persons} persons in ${((performance.now() - started) / 1000).toFixed(0)} s; ` +
    `written to ${values.out}/simulation-summary.csv\n`,
);
