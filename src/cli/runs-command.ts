/** `ipslink runs` (history) and `ipslink status` (current run, unprocessed deliveries). */

import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { loadStudyConfig } from '../config/study-config.js';
import { listDeliveryDirs } from '../ingest/delivery-manifest.js';
import { type RunManifest, readManifest } from '../publish/manifest.js';

interface StudyArgs {
  config: string;
  out?: string;
  landing?: string;
}

function readManifests(output: string): RunManifest[] {
  const runsDir = join(output, 'runs');
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir)
    .filter((name) => !name.startsWith('.') && existsSync(join(runsDir, name, 'manifest.json')))
    .sort()
    .map((name) => readManifest(join(runsDir, name)));
}

function currentRunId(output: string): string | null {
  const current = join(output, 'current');
  return existsSync(current) ? basename(realpathSync(current)) : null;
}

const studyOptions = {
  config: { type: 'string', demandOption: true, describe: 'study config (YAML)' },
  out: { type: 'string', describe: "output directory (overrides the config's)" },
  landing: { type: 'string', describe: "landing directory (overrides the config's)" },
} as const;

export const runsCommand: CommandModule<object, StudyArgs> = {
  command: 'runs',
  describe: 'run history of a study: id, status, balance gate, which is current',
  builder: (yargs) => yargs.options(studyOptions),
  handler: (args) => {
    const { config } = loadStudyConfig(args.config);
    const output = resolve(args.out ?? config.output);
    const current = currentRunId(output);
    const lines = ['run_id,status,started_at,finished_at,balance_gate,current'];
    for (const manifest of readManifests(output)) {
      lines.push(
        [
          manifest.run_id,
          manifest.status,
          manifest.started_at,
          manifest.finished_at,
          manifest.balance_gate.passed ? 'passed' : 'failed',
          manifest.run_id === current ? 'yes' : '',
        ].join(','),
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};

export const statusCommand: CommandModule<object, StudyArgs> = {
  command: 'status',
  describe: 'last run, what current points at, and deliveries not yet processed',
  builder: (yargs) => yargs.options(studyOptions),
  handler: (args) => {
    const { config } = loadStudyConfig(args.config);
    const output = resolve(args.out ?? config.output);
    const landing = resolve(args.landing ?? config.landing);
    const manifests = readManifests(output);
    const current = currentRunId(output);
    const currentManifest = manifests.find((manifest) => manifest.run_id === current);
    const processed = new Set(currentManifest?.inputs.map((input) => input.delivery_id) ?? []);
    const pending = listDeliveryDirs(landing).filter((name) => !processed.has(name));
    const last = manifests.at(-1);
    process.stdout.write(
      `${[
        `study: ${config.study}`,
        `last run: ${last ? `${last.run_id} (${last.status})` : 'none'}`,
        `current: ${current ?? 'none'}`,
        `deliveries not yet processed: ${pending.length ? pending.join(', ') : 'none'}`,
      ].join('\n')}\n`,
    );
  },
};
