/**
 * A small synthetic study for command-line tests: two deliveries of a few
 * thousand persons and a copy of config/demo.yaml pointing at them, with the
 * balance gate relaxed so runs publish: a world this small cannot meet 0.1
 * (a region with one matched treated person reaches |SMD| 0.8; region is
 * reported, not matched on), and one DuckDB thread per run (TEST_THREADS).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir } from './delivery.js';
import { TEST_RESOURCES_YAML, TEST_THREADS } from './threads.js';

export interface SmallWorld {
  work: string;
  landing: string;
  output: string;
  config: string;
  /** The two delivery directories, in order (none when not synthesized). */
  deliveryDirs: string[];
}

/** Replaces a setting of config/demo.yaml, failing loudly when the file no longer holds it (a silent no-op would test the wrong study). */
export function replaceOnce(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`config/demo.yaml no longer holds ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

export interface SmallWorldOptions {
  persons?: number;
  seed?: number;
  /** false: an empty landing directory (deliveries arrive by `pull`). */
  synthesize?: boolean;
  /** Edits the config text (appends a `pull:` section, ...). */
  configText?: (text: string) => string;
}

export async function makeSmallWorld(options: SmallWorldOptions = {}): Promise<SmallWorld> {
  const work = makeTempDir('ipslink-world-');
  const landing = join(work, 'landing');
  const output = join(work, 'out');
  const deliveryDirs =
    options.synthesize === false
      ? []
      : (
          await synthesizeDelivery({
            outDir: join(landing, 'small'),
            persons: options.persons ?? 2000,
            seed: options.seed ?? 11,
            deliveries: 2,
            threads: TEST_THREADS,
          })
        ).deliveries.map((delivery) => delivery.dir);
  let text = readFileSync('config/demo.yaml', 'utf8');
  text = replaceOnce(text, 'landing: data/demo/landing', `landing: ${landing}`);
  text = replaceOnce(text, 'output: out/demo', `output: ${output}`);
  text = replaceOnce(text, 'balance_max_abs_smd: 0.1', 'balance_max_abs_smd: 1.5');
  text += `\n${TEST_RESOURCES_YAML}`;
  const config = join(work, 'study.yaml');
  writeFileSync(config, options.configText ? options.configText(text) : text);
  return { work, landing, output, config, deliveryDirs };
}
