/**
 * Test helpers: run the ipslink CLI as a child process, read its
 * `--log-format json` stderr line by line as it comes, and wait for a log
 * line, e.g. to kill the process at a chosen point of a run.
 *
 * The CLI runs compiled (dist/src/cli/main.js, which global-setup.ts has
 * `make build` bring up to date with the sources), as bin/ipslink.js runs
 * it once installed, without the allocator relaunch, so a signal reaches
 * the process that runs the command. Through tsx each start took about
 * 0.9 s more, for some 150 starts per suite (test/ingest/no-values-in-messages
 * alone: 54.4 -> 37.9 s).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** One stderr line; a line that is not JSON (text logging) has only `message` and event 'text'. */
export interface LogLine {
  time?: string;
  level?: string;
  run_id?: string;
  stage?: string;
  event: string;
  message: string;
  [field: string]: unknown;
}

export interface CliExit {
  /** null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: LogLine[];
  stderr: string;
  stdout: string;
  /** From spawn to the close of its output. */
  durationMs: number;
}

export interface CliProcess {
  child: ChildProcess;
  /** The stderr lines read so far. */
  lines: LogLine[];
  /** Resolves when the process has exited and its output is read to the end. */
  finished: Promise<CliExit>;
  /** The first line (read so far or to come) that matches; rejects if the process ends without one. */
  waitForLine: (matches: (line: LogLine) => boolean, description: string) => Promise<LogLine>;
}

function parseLine(text: string): LogLine {
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as LogLine;
    } catch {
      // A line cut short by a kill: kept as text.
    }
  }
  return { event: 'text', message: text };
}

/** The compiled CLI's entry, for `node CLI_MAIN <args>`. */
export const CLI_MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** The command line of `ipslink <args>`, compiled, run from the repository root. */
export function cliCommand(args: readonly string[]): [string, ...string[]] {
  return [process.execPath, CLI_MAIN, ...args];
}

/** The command line of `ipslink <args>` from the sources, through tsx, as `npm run ipslink` runs it in development. */
export function sourcesCliCommand(args: readonly string[]): [string, ...string[]] {
  return [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args];
}

/** Starts `ipslink <args>` from the repository root. */
export function startCli(args: readonly string[]): CliProcess {
  return startCommand(cliCommand(args));
}

/** Starts a command (e.g. a shell running ipslink several times) from the repository root. */
export function startCommand([file, ...args]: readonly [string, ...string[]]): CliProcess {
  const started = performance.now();
  const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  let stdout = '';
  const waiters = new Set<{ matches: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  createInterface({ input: child.stderr! }).on('line', (text) => {
    const line = parseLine(text);
    stderr.push(text);
    lines.push(line);
    for (const waiter of waiters) {
      if (!waiter.matches(line)) continue;
      waiters.delete(waiter);
      waiter.resolve(line);
    }
  });
  const finished = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ code, signal, lines, stderr: stderr.join('\n'), stdout, durationMs: performance.now() - started });
    });
  });
  const waitForLine = (matches: (line: LogLine) => boolean, description: string) => {
    const seen = lines.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const waiter = { matches, resolve };
      waiters.add(waiter);
      void finished.then((exit) => {
        if (!waiters.delete(waiter)) return;
        reject(
          new Error(
            `${[file, ...args].join(' ').slice(0, 200)} ended (exit ${exit.code ?? exit.signal}) before ${description}:\n${exit.stderr.slice(-2000)}`,
          ),
        );
      });
    });
  };
  return { child, lines, finished, waitForLine };
}

/** Runs `ipslink <args>` to its end. */
export function runCli(args: readonly string[]): Promise<CliExit> {
  return startCli(args).finished;
}

/** Milliseconds from one log line to another, by their `time` fields. */
export function millisecondsBetween(from: LogLine, to: LogLine): number {
  return Date.parse(to.time ?? '') - Date.parse(from.time ?? '');
}
