/** `ipslink synth`: writes a synthetic delivery with a planted IPS effect. */
import type { CommandModule } from 'yargs';
import { fail } from '../errors.js';
import { synthesizeDelivery } from '../synth/index.js';

interface SynthArgs {
  out: string;
  persons: number;
  seed: number;
  threads?: number;
}

export const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'write a synthetic delivery (four extracts + delivery.json) and truth.json with the planted effects',
  builder: (yargs) =>
    yargs.options({
      out: { type: 'string', demandOption: true, describe: 'delivery directory to create' },
      persons: { type: 'number', default: 20_000, describe: 'number of persons' },
      seed: { type: 'number', default: 1, describe: 'seed; the same seed gives the same bytes' },
      threads: { type: 'number', describe: 'DuckDB threads (output does not depend on it)' },
    }),
  handler: async (args) => {
    if (!Number.isInteger(args.persons) || args.persons < 100) {
      fail({ code: 'usage', message: `--persons must be a whole number of at least 100, got ${args.persons}` });
    }
    if (!Number.isInteger(args.seed) || args.seed < 0) {
      fail({ code: 'usage', message: `--seed must be a non-negative whole number, got ${args.seed}` });
    }
    const summary = await synthesizeDelivery({ outDir: args.out, persons: args.persons, seed: args.seed, threads: args.threads });
    const files = summary.files.map((file) => `${file.name} ${file.rowCount}`).join(', ');
    process.stdout.write(`wrote delivery ${summary.deliveryId} to ${args.out}: ${files}; ${summary.badRows} bad rows planted\n`);
  },
};
