/**
 * The C allocator settings the pipeline runs under, and the relaunch that
 * applies them.
 *
 * DuckDB frees what it spills or finishes with, but glibc's malloc keeps
 * freed memory in its per-thread arenas (eight per core by default): the
 * process's resident memory then holds every stage's high point, not what
 * DuckDB uses now. Two arenas (`MALLOC_ARENA_MAX=2`) keep that in bounds.
 *
 * glibc's mmap threshold is left to grow as it does by default. A fixed
 * threshold of 128 KiB (`MALLOC_MMAP_THRESHOLD_=131072`, set here until
 * 2026-12) mapped each of DuckDB's 256 KiB blocks on its own and gave it
 * back when freed, and every new block's pages were then faulted in and
 * zeroed again. At 1 M persons under a 4GB cap, the whole run on the same
 * day: 587.6 s with it, 485.3 s without (kernel CPU 218 -> 140 s, page faults
 * 17.5 -> 10.0 M), peak resident memory 3,619 -> 3,242 MB. Under a tighter
 * cap it costs memory: subgroups and estimate alone with DuckDB at 990 MiB
 * peaked at 1,794 MB without it and 1,655 MB with it (152.6 against 159.9 s).
 *
 * DuckDB's buffers come from a jemalloc of its own, built to give freed
 * pages back to the kernel after 1 s (`dirty_decay_ms:1000,
 * muzzy_decay_ms:1000`); ingest and the stages free and take hundreds of MB
 * at a time, so the next buffers fault the same pages in and zero them
 * again. At 3 s (`DUCKDB_JE_MALLOC_CONF`, which that jemalloc reads at
 * start; `MALLOC_CONF` does not reach it), measured 2026-12-05: the
 * 60,000-person run 4.4% faster (median ratio of five pairs), kernel CPU
 * 5.7 against 7.3 s, peak 854 against 816 MiB; under a 1 GB cap the same
 * peak; at 1,000,000 persons 21-31% fewer page faults and the same peak,
 * the wall time within the machine's noise (docs/scale-history.md).
 *
 * glibc and jemalloc read these when the process starts, so the installed
 * `ipslink` starts itself once more with them (bin/ipslink.js) for the
 * commands that work through a delivery; the others (help, status, query,
 * ...) start once, fast. A setting the user made is left as it is, and so
 * is any other platform.
 */
import { spawn } from 'node:child_process';
import { EXIT_CODES } from '../exit-codes.js';

export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  DUCKDB_JE_MALLOC_CONF: 'dirty_decay_ms:3000,muzzy_decay_ms:3000',
};

/**
 * The commands that work through a delivery under the run's memory cap. Not `synth`: its DuckDB is not capped, so
 * its peak is the same either way (17.1 against 17.0 GB at 1 M persons), and with glibc's defaults it took 82.2
 * against 86.0 s; jemalloc's 3 s decay did not change its time (84.3 and 88.4 s with, 84.3 and 88.3 s without).
 */
const DATA_COMMANDS: ReadonlySet<string> = new Set(['run', 'validate']);

/** Whether this process should start again with ALLOCATOR_ENV: a data command on Linux (glibc), unless every setting is already made. */
export function needsAllocatorEnv(
  argv: readonly string[] = process.argv,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  // the command may follow global options (`--log-format json run`); a stray match only costs a second start
  return (
    platform === 'linux' &&
    Object.keys(ALLOCATOR_ENV).some((name) => env[name] === undefined) &&
    argv.slice(2).some((arg) => DATA_COMMANDS.has(arg))
  );
}

/** The environment with the allocator settings added; settings the user made stay. */
export function withAllocatorEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...ALLOCATOR_ENV, ...env };
}

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs this Node process's command again as a child with ALLOCATOR_ENV and
 * ends as the child ends: the same exit code, or killed by the same signal.
 * Signals this process receives are passed on; the terminal's are sent to
 * both anyway.
 */
export function relaunchWithAllocatorEnv(): void {
  // the IPC channel only tells the command when this process is gone (followLauncher)
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: withAllocatorEnv(),
  });
  child.on('error', (error) => {
    process.stderr.write(`ipslink: could not start itself again with the allocator settings: ${error.message}\n`);
    process.exit(EXIT_CODES.internal.code);
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    for (const forwarded of FORWARDED_SIGNALS) process.off(forwarded, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/**
 * In the relaunched command: end at once when the launcher is gone (killed
 * with SIGKILL, which it cannot pass on), so that a kill of the pid a
 * scheduler knows always stops the work. Does nothing in a process started
 * any other way.
 */
export function followLauncher(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}
