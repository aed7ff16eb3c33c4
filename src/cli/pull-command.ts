/** `ipslink pull`: fetches new deliveries from the config's pull source into the landing directory. */
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { fail } from '../errors.js';

interface PullArgs {
  config: string;
  landing?: string;
}

export const pullCommand: CommandModule<object, PullArgs> = {
  command: 'pull',
  describe:
    "fetch new deliveries from the config's pull: source (pull.url; bearer token from the variable pull.token_env names) into " +
    'the landing directory: <url>/index.json lists the delivery ids, <url>/<id>/delivery.json and the files it lists follow. ' +
    'A delivery lands complete, every file matching the sha256 and row count in its delivery.json, or not at all; ' +
    'deliveries already in the landing directory are skipped, and only those the config lists under deliveries: are pulled. ' +
    'Requests time out after pull.timeout_seconds without data and are retried pull.retries times with backoff, ' +
    'resuming a cut-off file where it stopped',
  builder: (yargs) =>
    yargs.options({
      config: { type: 'string', demandOption: true, describe: 'study config (YAML) with a pull: section' },
      landing: { type: 'string', describe: "landing directory with one subdirectory per delivery (overrides the config's)" },
    }),
  handler: async (args) => {
    // Loaded when the command runs, so that --help stays fast.
    const [{ loadStudyConfig }, { pullDeliveries }] = await Promise.all([import('../config/study-config.js'), import('../pull/index.js')]);
    const { config } = loadStudyConfig(args.config);
    if (!config.pull) {
      fail({
        code: 'usage',
        message: `${args.config}: the study config has no pull: section; add pull.url (and token_env) to pull deliveries`,
      });
    }
    const landing = resolve(args.landing ?? config.landing);
    const result = await pullDeliveries({ pull: config.pull, landing, deliveries: config.deliveries });
    const lines = result.fetched.map((id) => `pulled ${id} into ${resolve(landing, id)}`);
    const fetched = `pulled ${result.fetched.length} ${result.fetched.length === 1 ? 'delivery' : 'deliveries'}`;
    const ids = result.fetched.length ? ` (${result.fetched.join(', ')})` : '';
    lines.push(`${fetched}${ids}; ${result.present.length} already present`);
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
