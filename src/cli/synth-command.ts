/** `ipslink synth`: writes a synthetic delivery (or two) with a planted IPS effect. */
import type { CommandModule } from 'yargs';
import { fail } from '../errors.js';

interface SynthArgs {
  out: string;
  persons: number;
  seed: number;
  deliveries: number;
  /** `--no-healthcare-costs` sets it false. */
  'healthcare-costs': boolean;
  threads?: number;
}

export const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe:
    'write a synthetic delivery (five extracts, healthcare_costs optional, + delivery.json) and truth.json with the planted effects; ' +
    'the extracts carry register hazards (deaths, emigration, state-pension age, coverage, benefit chains, ' +
    'crossover trajectories, bad rows); --deliveries 2 writes the same world as an initial delivery and a correcting one',
  builder: (yargs) =>
    yargs.options({
      out: {
        type: 'string',
        demandOption: true,
        describe: 'delivery directory to create; with --deliveries 2, OUT.1 and OUT.2 (truth.json in OUT.2)',
      },
      persons: { type: 'number', default: 20_000, describe: 'number of persons' },
      seed: { type: 'number', default: 1, describe: 'seed; the same seed gives the same bytes' },
      deliveries: {
        type: 'number',
        default: 1,
        describe:
          '1: one delivery extracted 2021-06-30; 2: the world as known on 2018-06-30 (delivery <id>.1), then every ' +
          'row new or changed by 2021-06-30 (delivery <id>.2, persons as a full file); applied in order they equal ' +
          'the single delivery of the same seed',
      },
      'healthcare-costs': {
        type: 'boolean',
        default: true,
        describe:
          'write the optional healthcare_costs extract (yearly Zvw claims costs per person and category) in every delivery; ' +
          '--no-healthcare-costs leaves it out, and every other file is the same bytes',
      },
      threads: { type: 'number', describe: 'DuckDB threads (output does not depend on it)' },
    }),
  handler: async (args) => {
    if (!Number.isInteger(args.persons) || args.persons < 100) {
      fail({ code: 'usage', message: `--persons must be a whole number of at least 100, got ${args.persons}` });
    }
    if (!Number.isInteger(args.seed) || args.seed < 0) {
      fail({ code: 'usage', message: `--seed must be a non-negative whole number, got ${args.seed}` });
    }
    if (args.deliveries !== 1 && args.deliveries !== 2) {
      fail({ code: 'usage', message: `--deliveries must be 1 or 2, got ${args.deliveries}` });
    }
    // Loaded when the command runs, so that --help does not load DuckDB.
    const { synthesizeDelivery } = await import('../synth/index.js');
    const summary = await synthesizeDelivery({
      outDir: args.out,
      persons: args.persons,
      seed: args.seed,
      deliveries: args.deliveries,
      healthcareCosts: args['healthcare-costs'],
      threads: args.threads,
    });
    for (const delivery of summary.deliveries) {
      const files = delivery.files.map((file) => `${file.name} ${file.rowCount}${file.mode === 'full' ? ' (full)' : ''}`).join(', ');
      process.stdout.write(
        `wrote delivery ${delivery.deliveryId} (extract date ${delivery.extractDate}) to ${delivery.dir}: ${files}; ` +
          `${delivery.badRows} bad rows planted\n`,
      );
    }
  },
};
