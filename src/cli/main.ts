/**
 * The `ipslink` command line (DESIGN §4). The one place that catches
 * pipeline errors: each becomes one line on stderr and its exit code.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitCodeFor, messageFor, PipelineFailure } from '../errors.js';
import { EXIT_CODES, exitCodeText } from '../exit-codes.js';
import { LOG_FORMATS, type LogFormat, logError, setLogging } from '../log.js';
import { matchCommand } from './match-command.js';
import { pullCommand } from './pull-command.js';
import { queryCommand } from './query-command.js';
import { runCommand, validateCommand } from './run-command.js';
import { publishCommand, runsCommand, statusCommand } from './runs-command.js';
import { synthCommand } from './synth-command.js';
import { tablesCommand } from './tables-command.js';

const INTERNAL_ERROR_EXIT = EXIT_CODES.internal.code;

function reportFailure(error: unknown, debug: boolean): number {
  if (error instanceof PipelineFailure) {
    const exitCode = exitCodeFor(error.error);
    logError(`ipslink: ${messageFor(error.error)}`, { event: 'command_failed', code: error.error.code, exit_code: exitCode });
    return exitCode;
  }
  const text = error instanceof Error ? error.message : String(error);
  logError(`ipslink: internal error: ${text.split('\n')[0]}`, {
    event: 'command_failed',
    code: 'internal',
    exit_code: INTERNAL_ERROR_EXIT,
  });
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return INTERNAL_ERROR_EXIT;
}

/** The global logging flags, read before yargs so that even a usage error is logged as asked. */
function loggingFlags(argv: readonly string[]): { debug: boolean; format: LogFormat } {
  const given = argv.flatMap((arg, index) =>
    arg === '--log-format' ? [argv[index + 1]] : arg.startsWith('--log-format=') ? [arg.slice(13)] : [],
  );
  const format = LOG_FORMATS.find((name) => name === given.at(-1)) ?? 'text';
  return { debug: argv.includes('--debug'), format };
}

export async function main(argv: string[]): Promise<number> {
  const { debug, format } = loggingFlags(argv);
  setLogging({ debug, format });
  // An error no await catches (a stream's 'error' event with no listener) still ends as one line and an exit code.
  const lastResort = (error: unknown) => process.exit(reportFailure(error, debug));
  process.on('uncaughtException', lastResort);
  process.on('unhandledRejection', lastResort);
  try {
    await yargs(argv)
      .scriptName('ipslink')
      .usage(
        '$0 <command> [options]\n\nLinks UWV benefit and employment extracts with IPS/TVR trajectories and estimates the effect of IPS on paid work.',
      )
      .command(synthCommand)
      .command(runCommand)
      .command(validateCommand)
      .command(pullCommand)
      .command(matchCommand)
      .command(tablesCommand)
      .command(queryCommand)
      .command(runsCommand)
      .command(statusCommand)
      .command(publishCommand)
      .option('log-format', {
        choices: LOG_FORMATS,
        default: 'text',
        describe: 'stderr lines as text or as one JSON object per line',
        global: true,
      })
      .option('quiet', { type: 'boolean', describe: 'print only the result', global: true })
      .option('debug', {
        type: 'boolean',
        describe: 'also log each SQL file run (rows of the tables it writes, duration in ms) and each SQL statement (duration)',
        global: true,
      })
      .middleware((args) => setLogging({ quiet: Boolean(args.quiet), debug: Boolean(args.debug), format: args.logFormat as LogFormat }))
      .demandCommand(1, 'name a command; see ipslink --help')
      .strict()
      .fail((message, error) => {
        if (error) throw error;
        throw new PipelineFailure({ code: 'usage', message: `${message} (see --help)` });
      })
      .epilogue(exitCodeText())
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
