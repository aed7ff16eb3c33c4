/**
 * The `ipslink` command line (DESIGN §4). The one place that catches
 * pipeline errors: each becomes one line on stderr and its exit code.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodes, messageFor, PipelineFailure } from '../errors.js';
import { setLogging } from '../log.js';
import { matchCommand } from './match-command.js';
import { queryCommand } from './query-command.js';
import { runCommand, validateCommand } from './run-command.js';
import { runsCommand, statusCommand } from './runs-command.js';
import { synthCommand } from './synth-command.js';
import { tablesCommand } from './tables-command.js';

const INTERNAL_ERROR_EXIT = 70;

function reportFailure(error: unknown, debug: boolean): number {
  if (error instanceof PipelineFailure) {
    process.stderr.write(`ipslink: ${messageFor(error.error)}\n`);
    return exitCodes[error.error.code];
  }
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`ipslink: internal error: ${text.split('\n')[0]}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return INTERNAL_ERROR_EXIT;
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  setLogging({ debug });
  try {
    await yargs(argv)
      .scriptName('ipslink')
      .usage('$0 <command> [options]\n\nLinks UWV benefit and employment extracts with IPS/TVR trajectories and estimates the effect of IPS on paid work.')
      .command(synthCommand)
      .command(runCommand)
      .command(validateCommand)
      .command(matchCommand)
      .command(tablesCommand)
      .command(queryCommand)
      .command(runsCommand)
      .command(statusCommand)
      .option('debug', { type: 'boolean', describe: 'log every SQL step with its duration', global: true })
      .option('quiet', { type: 'boolean', describe: 'print only the result', global: true })
      .middleware((args) => setLogging({ quiet: Boolean(args.quiet) }))
      .demandCommand(1, 'name a command; see ipslink --help')
      .strict()
      .fail((message, error) => {
        if (error) throw error;
        throw new PipelineFailure({ code: 'usage', message: `${message} (see --help)` });
      })
      .help()
      .version(false)
      .wrap(Math.min(100, process.stdout.columns ?? 100))
      .parseAsync();
    return 0;
  } catch (error) {
    return reportFailure(error, debug);
  }
}

process.exitCode = await main(hideBin(process.argv));
