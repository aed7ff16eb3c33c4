/**
 * A small synthetic study for command-line tests: two deliveries of a few
 * thousand persons and a copy of config/demo.yaml pointing at them, with the
 * balance gate relaxed (a world this small cannot meet 0.1) so runs publish.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesizeDelivery } from '../../src/synth/index.js';
import { makeTempDir } from './delivery.js';

export interface SmallWorld {
  work: string;
  landing: string;
  output: string;
  config: string;
  /** The two delivery directories, in order. */
  deliveryDirs: string[];
}

export async function makeSmallWorld(
  options: { persons?: number; seed?: number; configText?: (text: string) => string } = {},
): Promise<SmallWorld> {
  const work = makeTempDir('ipslink-world-');
  const landing = join(work, 'landing');
  const output = join(work, 'out');
  const synth = await synthesizeDelivery({
    outDir: join(landing, 'small'),
    persons: options.persons ?? 2000,
    seed: options.seed ?? 11,
    deliveries: 2,
  });
  const text = readFileSync('config/demo.yaml', 'utf8')
    .replace('landing: data/demo/landing', `landing: ${landing}`)
    .replace('output: out/demo', `output: ${output}`)
    .replace('balance_max_abs_smd: 0.1', 'balance_max_abs_smd: 0.5');
  const config = join(work, 'study.yaml');
  writeFileSync(config, options.configText ? options.configText(text) : text);
  return { work, landing, output, config, deliveryDirs: synth.deliveries.map((delivery) => delivery.dir) };
}
